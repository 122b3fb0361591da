import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { serveGreetingWorkers } from "../lib/greeting_workers.ts";
import { deadline, ignoreUnless } from "./_util.ts";

const CAN_READ_LIB = Deno.permissions.querySync({
  name: "read",
  path: new URL("../lib/", import.meta.url),
}).state === "granted";
const NEEDS_READ = (): boolean =>
  ignoreUnless(
    CAN_READ_LIB,
    "worker threads load their module with --allow-read (deno task test grants it)",
  );

async function greeting(port: number, hostname = "127.0.0.1"): Promise<string> {
  const conn = await deadline(Deno.connect({ hostname, port }), "a connection");
  return await deadline(new Response(conn.readable).text(), "the greeting");
}

Deno.test("serveGreetingWorkers() with one worker serves like serveGreeting()", async () => {
  const controller = new AbortController();
  const peers: string[] = [];
  const server = await serveGreetingWorkers({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onConnection: (peer) => peers.push(peer.hostname),
  });
  assertStrictEquals(await greeting(server.addr.port), "Hello, world!");
  controller.abort();
  await deadline(server.finished, "the server to stop");
  assertEquals(peers, ["127.0.0.1"]);
});

Deno.test({
  name:
    "serveGreetingWorkers() greets on every loop and reports each connection once",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const controller = new AbortController();
    const peers: string[] = [];
    const server = await serveGreetingWorkers({
      hostname: "127.0.0.1",
      port: 0,
      workers: 3,
      message: "hi",
      signal: controller.signal,
      onConnection: (peer) => peers.push(peer.hostname),
    });
    const replies = await Promise.all(
      Array.from({ length: 60 }, () => greeting(server.addr.port)),
    );
    assertEquals(new Set(replies), new Set(["hi"]));
    controller.abort();
    await deadline(server.finished, "every worker to stop");
    assertStrictEquals(peers.length, 60);
  },
});

Deno.test({
  name: "serveGreetingWorkers() applies the access lists in every worker",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const controller = new AbortController();
    let refused = 0;
    const server = await serveGreetingWorkers({
      hostname: "127.0.0.1",
      port: 0,
      workers: 2,
      access: { deny: ["127.0.0.0/8"] },
      signal: controller.signal,
      onRefused: () => refused++,
    });
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => greeting(server.addr.port)),
    );
    assertEquals(new Set(replies), new Set([""]));
    controller.abort();
    await deadline(server.finished, "every worker to stop");
    assertStrictEquals(refused, 20);
  },
});

Deno.test(
  "serveGreetingWorkers() refuses to start workers without read access, in one line",
  {
    permissions: { net: true, read: false },
  },
  async () => {
    const error = await assertRejects(() =>
      serveGreetingWorkers({ hostname: "127.0.0.1", port: 0, workers: 2 })
    );
    assert(error instanceof Deno.errors.NotCapable);
    assertMatch(error.message, /--allow-read=/);
  },
);

Deno.test({
  name:
    "serveGreetingWorkers() with one worker needs no --unstable-net (no SO_REUSEPORT)",
  ignore: ignoreUnless(
    CAN_READ_LIB &&
      Deno.permissions.querySync({ name: "run" }).state === "granted",
    "running the library outside this project's deno.json needs --allow-run",
  ),
  async fn(): Promise<void> {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const script = `import { serveGreetingWorkers } from ${JSON.stringify(mod)};
      const c = new AbortController();
      const s = await serveGreetingWorkers({ hostname: "127.0.0.1", port: 0, signal: c.signal });
      c.abort(); await s.finished; console.log("ok");`;
    const { code, stdout, stderr } = await deadline(
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--no-config", "--quiet", script],
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output(),
      "the library outside this project",
    );
    assertStrictEquals(new TextDecoder().decode(stderr), "");
    assertStrictEquals(new TextDecoder().decode(stdout), "ok\n");
    assertStrictEquals(code, 0);
  },
});
