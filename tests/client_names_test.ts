// The client against a name with both an IPv6 and an IPv4 address. This
// machine's /etc/hosts has no such name, so each test runs the client in a
// private mount namespace (`unshare -m`) where a hosts file of the test's own
// is bind-mounted over /etc/hosts. Needs root and unshare; ignored, with the
// reason, elsewhere.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { main as serverMain } from "../cmd/server.ts";
import {
  CAN_SPAWN,
  deadline,
  entry,
  freeTcpPort,
  HAS_IPV6,
  ignoreUnless,
  listeningPort,
  runInProcess,
} from "./_util.ts";

const NAME = "dual.beejnet.test";

const CAN_UNSHARE: boolean = CAN_SPAWN && HAS_IPV6 && (() => {
  try {
    const { success } = new Deno.Command("unshare", {
      args: ["-m", "mount", "--bind", "/etc/hosts", "/etc/hosts"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
})();
const NEEDS_UNSHARE = (): boolean =>
  ignoreUnless(
    CAN_UNSHARE,
    `tests of a name with two families need ::1, --allow-run and root's unshare -m to give ${NAME} a hosts entry`,
  );

/** Run the client with `NAME` resolving to ::1, then 127.0.0.1. */
async function clientOfDualName(
  args: string[],
): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const hosts = await Deno.makeTempFile({ prefix: "beejnet_hosts_" });
  try {
    await Deno.writeTextFile(
      hosts,
      `127.0.0.1 localhost\n::1 ${NAME}\n127.0.0.1 ${NAME}\n`,
    );
    const script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"';
    const output = await deadline(
      new Deno.Command("unshare", {
        args: [
          "-m",
          "sh",
          "-c",
          script,
          "sh",
          hosts,
          Deno.execPath(),
          "run",
          "--quiet",
          "--allow-net",
          entry("client"),
          NAME,
          ...args,
        ],
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output(),
      "the client",
    );
    const lines = (bytes: Uint8Array): string[] =>
      new TextDecoder().decode(bytes).split("\n").slice(0, -1);
    return {
      code: output.code,
      stdout: lines(output.stdout),
      stderr: lines(output.stderr),
    };
  } finally {
    await Deno.remove(hosts);
  }
}

Deno.test({
  name:
    "client tries the IPv6 address, reports its refusal, and connects over IPv4",
  ignore: NEEDS_UNSHARE(),
  async fn(): Promise<void> {
    const server = runInProcess(serverMain, ["-b", "127.0.0.1", "-p", "0"]);
    const port = await listeningPort(server.stderr);
    try {
      const { code, stdout, stderr } = await clientOfDualName([
        "-p",
        `${port}`,
      ]);
      assertEquals(stderr, ["client: connect: Connection refused"]);
      assertEquals(stdout, [
        "client: connecting to 127.0.0.1",
        "client: received 'Hello, world!'",
      ]);
      assertStrictEquals(code, 0);
    } finally {
      server.controller.abort();
      await server.code;
    }
  },
});

Deno.test({
  name: "client tries every address of a name, then says it failed, exit 2",
  ignore: NEEDS_UNSHARE(),
  async fn(): Promise<void> {
    const port = freeTcpPort();
    const { code, stdout, stderr } = await clientOfDualName([
      "-p",
      `${port}`,
      "-v",
    ]);
    assertEquals(stdout, []);
    assertEquals(stderr, [
      `client: trying ::1 port ${port}`,
      "client: connect: Connection refused",
      `client: trying 127.0.0.1 port ${port}`,
      "client: connect: Connection refused",
      "client: failed to connect",
    ]);
    assertStrictEquals(code, 2);
  },
});

Deno.test({
  name: "client -4 of a name with both families uses only its IPv4 address",
  ignore: NEEDS_UNSHARE(),
  async fn(): Promise<void> {
    const server = runInProcess(serverMain, ["-p", "0"]);
    const port = await listeningPort(server.stderr);
    try {
      const { code, stdout, stderr } = await clientOfDualName([
        "-4",
        "-p",
        `${port}`,
      ]);
      assertEquals(stderr, []);
      assertStrictEquals(stdout[0], "client: connecting to 127.0.0.1");
      assertStrictEquals(code, 0);
    } finally {
      server.controller.abort();
      await server.code;
    }
  },
});

Deno.test({
  name: "client -6 of a name with both families uses only its IPv6 address",
  ignore: NEEDS_UNSHARE(),
  async fn(): Promise<void> {
    const server = runInProcess(serverMain, ["-p", "0"]);
    const port = await listeningPort(server.stderr);
    try {
      const { code, stdout } = await clientOfDualName(["-6", "-p", `${port}`]);
      assertStrictEquals(stdout[0], "client: connecting to ::1");
      assertStrictEquals(code, 0);
    } finally {
      server.controller.abort();
      await server.code;
    }
  },
});

/** Fill the backlog of a listener that never accepts, so a connect hangs. */
async function fillBacklog(
  hostname: string,
  port: number,
): Promise<Deno.Conn[]> {
  const queued: Deno.Conn[] = [];
  while (queued.length < 10_000) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 200);
    try {
      queued.push(
        await Deno.connect({ hostname, port, signal: controller.signal }),
      );
    } catch (error) {
      if (controller.signal.aborted) return queued;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  for (const conn of queued) conn.close();
  throw new Error("the backlog never filled");
}

Deno.test({
  name:
    "client races IPv4 when IPv6 hangs (RFC 8305), and the cancelled attempt is not a failure",
  ignore: NEEDS_UNSHARE(),
  async fn(): Promise<void> {
    using stuck = Deno.listen({ hostname: "::1", port: 0 });
    const port = stuck.addr.port;
    const server = runInProcess(serverMain, [
      "-b",
      "127.0.0.1",
      "-p",
      `${port}`,
    ]);
    const queued = await fillBacklog("::1", port);
    try {
      await server.stdout.waitFor(/^server: waiting for connections\.\.\.$/);
      const started = performance.now();
      const { code, stdout, stderr } = await clientOfDualName([
        "-p",
        `${port}`,
        "-v",
      ]);
      const elapsed = performance.now() - started;
      assertEquals(stderr, [
        `client: trying ::1 port ${port}`,
        `client: trying 127.0.0.1 port ${port}`,
      ]);
      assertEquals(stdout, [
        "client: connecting to 127.0.0.1",
        "client: received 'Hello, world!'",
      ]);
      assertStrictEquals(code, 0);
      assert(elapsed < 5000, `took ${elapsed} ms`);
    } finally {
      for (const conn of queued) conn.close();
      server.controller.abort();
      await server.code;
    }
  },
});
