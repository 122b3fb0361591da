import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { serveGreeting } from "../lib/greeting_server.ts";
import { deadline, ignoreUnless } from "./_util.ts";
import config from "../deno.json" with { type: "json" };

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

Deno.test("serveGreeting({ workers: 1 }) serves on one loop, as without workers", async () => {
  const controller = new AbortController();
  const peers: string[] = [];
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    port: 0,
    workers: 1,
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
    "serveGreeting({ workers }) greets on every loop and reports each connection once",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const controller = new AbortController();
    const peers: string[] = [];
    const server = await serveGreeting({
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
  name: "serveGreeting({ workers }) applies the access lists in every worker",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const controller = new AbortController();
    let refused = 0;
    const server = await serveGreeting({
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
  "serveGreeting({ workers }) refuses to start workers without read access, naming no flag",
  {
    permissions: { net: true, read: false },
  },
  async () => {
    const error = await assertRejects(() =>
      serveGreeting({ hostname: "127.0.0.1", port: 0, workers: 2 })
    );
    assert(error instanceof Deno.errors.NotCapable);
    assertMatch(
      error.message,
      /^Requires read access to ".+" to start workers$/,
    );
    // The flag to give is the tools' to say: the library names none.
    assertNotMatch(error.message, /--allow-/);
  },
);

Deno.test(
  "serveGreeting({ workers }) with read access to the worker's file alone names the library's folder, the grant that works",
  {
    permissions: {
      net: true,
      read: [new URL("../lib/_greeting_worker.ts", import.meta.url)],
    },
  },
  async () => {
    const error = await assertRejects(() =>
      serveGreeting({ hostname: "127.0.0.1", port: 0, workers: 2 })
    );
    assert(error instanceof Deno.errors.NotCapable);
    // The worker's module imports the rest of lib/: its file alone fails
    // at the worker's first import, so the folder is what to grant.
    const lib = new URL("../lib/", import.meta.url).pathname;
    assertStrictEquals(
      error.message,
      `Requires read access to "${lib}" to start workers`,
    );
  },
);

Deno.test({
  name:
    "serveGreeting({ workers: 1 }) needs no --unstable-net (no SO_REUSEPORT)",
  ignore: ignoreUnless(
    CAN_READ_LIB &&
      Deno.permissions.querySync({ name: "run" }).state === "granted",
    "running the library outside this project's deno.json needs --allow-run",
  ),
  async fn(): Promise<void> {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const script = `import { serveGreeting } from ${JSON.stringify(mod)};
      const c = new AbortController();
      const s = await serveGreeting({ hostname: "127.0.0.1", port: 0, signal: c.signal });
      c.abort(); await s.finished; console.log("ok");`;
    // The project's imports (with the sub-path entries deno.json implies),
    // as a user's own config would give them, and none of its other
    // settings ("unstable": ["net"]).
    const imports = Object.fromEntries(
      Object.entries(config.imports).map((
        [name, target],
      ) => [`${name}/`, `jsr:/${target.slice("jsr:".length)}/`]),
    );
    const importMap = "data:application/json," +
      encodeURIComponent(JSON.stringify({ imports }));
    const { code, stdout, stderr } = await deadline(
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          "--no-config",
          `--import-map=${importMap}`,
          "--quiet",
          script,
        ],
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

Deno.test({
  name:
    "serveGreeting({ workers }) with an onConnection that throws on this thread stops every loop and rejects finished",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const error = new Error("onConnection failed");
    const server = await serveGreeting({
      hostname: "127.0.0.1",
      port: 0,
      workers: 2,
      onConnection: () => {
        throw error;
      },
    });
    const { port } = server.addr;
    // Whichever loop serves them, the reports reach this thread's callback.
    await Promise.all(
      Array.from({ length: 4 }, () => greeting(port).catch(() => "")),
    );
    assertStrictEquals(
      await assertRejects(() => deadline(server.finished, "every loop")),
      error,
    );
    // Every loop closed its socket: the port binds again.
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  },
});

Deno.test({
  name:
    "serveGreeting({ workers }) with an onRefused whose promise rejects stops every loop",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const error = new Error("async onRefused failed");
    const server = await serveGreeting({
      hostname: "127.0.0.1",
      port: 0,
      workers: 2,
      access: { deny: ["127.0.0.0/8"] },
      onRefused: () => Promise.reject(error),
    });
    const { port } = server.addr;
    await Promise.all(
      Array.from({ length: 4 }, () => greeting(port).catch(() => "")),
    );
    assertStrictEquals(
      await assertRejects(() => deadline(server.finished, "every loop")),
      error,
    );
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  },
});

Deno.test({
  name:
    "serveGreeting({ workers }) with await using stops every loop and releases the port",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    let port: number;
    {
      await using server = await serveGreeting({
        hostname: "127.0.0.1",
        workers: 2,
      });
      port = server.addr.port;
      assertStrictEquals(await greeting(port), "Hello, world!");
    }
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  },
});

Deno.test({
  name: "serveGreeting({ workers }) close() resolves once every loop stopped",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const server = await serveGreeting({ hostname: "127.0.0.1", workers: 3 });
    const closing = server.close();
    assertStrictEquals(server.close(), closing);
    await deadline(closing, "close()");
    await deadline(server.finished, "finished");
    Deno.listen({ hostname: "127.0.0.1", port: server.addr.port }).close();
  },
});

Deno.test({
  name:
    "serveGreeting({ workers }) closes every loop's connections at once when a callback fails, not after shutdownTimeout",
  ignore: NEEDS_READ(),
  async fn(): Promise<void> {
    const error = new Error("onConnection failed");
    const server = await serveGreeting({
      hostname: "127.0.0.1",
      port: 0,
      workers: 2,
      // Too large to sit in the socket buffers of clients that do not read.
      message: new Uint8Array(16 * 1024 * 1024).fill(0x68),
      // Longer than the deadline: only closing at once ends in time.
      shutdownTimeout: 60_000,
      onConnection: () => {
        throw error;
      },
    });
    const { port } = server.addr;
    const clients = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          deadline(Deno.connect({ hostname: "127.0.0.1", port }), "connect")
            .catch(() => undefined),
      ),
    );
    assertStrictEquals(
      await assertRejects(() => deadline(server.finished, "every loop")),
      error,
    );
    for (const client of clients) {
      if (!client) continue;
      // Read to the end: the server closed it.
      await deadline(
        (async () => {
          const buffer = new Uint8Array(1 << 16);
          try {
            while (await client.read(buffer) !== null) { /* discard */ }
          } catch { /* reset */ }
          client.close();
        })(),
        "the connection closed",
      );
    }
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  },
});
