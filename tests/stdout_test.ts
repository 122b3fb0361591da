/**
 * A stdout that cannot be written: each tool, spawned with its stdout on
 * `/dev/full` (a full disk) or on a pipe whose reader went away (`| head`).
 *
 * A failed write to stdout is reported as that — one line
 * `TOOL: stdout: no space left on device`, exit 1, never an uncaught error,
 * never as the network call that happened to precede it — and a tool whose
 * output cannot be written stops. A reader that went away stops a tool at
 * once and quietly (exit 141, as a shell reports a program killed by
 * SIGPIPE), without silencing its stderr.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { needs, onePeer, udpPeer, writeAll } from "./_peers.ts";
import {
  assertNoStack,
  bytes,
  deadline,
  listeningPort,
  TestProcess,
} from "./_util.ts";

const linesOf = (text: string): string[] => text.split("\n").slice(0, -1);

const FULL = { path: "/dev/full" };
const ENOSPC = (tool: string): string =>
  `${tool}: stdout: no space left on device`;

/** One line on stderr saying stdout is full, exit 1, no stack. */
function assertFull(
  tool: string,
  result: { status: Deno.CommandStatus; stderr: string },
  what: string,
): void {
  assertNoStack(result.stderr, what);
  assertEquals(linesOf(result.stderr), [ENOSPC(tool)], what);
  assertEquals(result.status.code, 1, what);
}

Deno.test({
  name: "every tool's help and version to a full disk: one stdout line, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const tool of ["server", "client", "listener", "talker"]) {
      for (const flag of ["-h", "-V"]) {
        const result = await TestProcess.run(tool, [flag], { stdout: FULL });
        assertFull(tool, result, `${tool} ${flag} > /dev/full`);
      }
    }
  },
});

Deno.test({
  name: "client to a full disk, text and --json: one stdout line, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const mode of [[], ["--json"]]) {
      const peer = onePeer(async (conn) => {
        await writeAll(conn, bytes("Hello, world!"));
      });
      const result = await TestProcess.run(
        "client",
        [...mode, "-p", `${peer.port}`, "127.0.0.1"],
        { stdout: FULL },
      );
      await peer.done.catch(() => {});
      assertFull("client", result, `client ${mode.join(" ")} > /dev/full`);
    }
  },
});

Deno.test({
  name:
    "client --raw to a full disk: the failed write is stdout's, not recv's, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const peer = onePeer(async (conn) => {
      await writeAll(conn, bytes("Hello, world!"));
    });
    const result = await TestProcess.run(
      "client",
      ["--raw", "-p", `${peer.port}`, "127.0.0.1"],
      { stdout: FULL },
    );
    await peer.done.catch(() => {});
    assertNoStack(result.stderr);
    assertEquals(linesOf(result.stderr), [
      "client: connecting to 127.0.0.1",
      ENOSPC("client"),
    ]);
    assertEquals(result.status.code, 1);
  },
});

Deno.test({
  name:
    "talker to a full disk: the datagram is sent, the failed write is stdout's, not sendto's, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const mode of [[], ["--json"]]) {
      using socket = udpPeer();
      const port = (socket.addr as Deno.NetAddr).port;
      const result = await TestProcess.run(
        "talker",
        [...mode, "-p", `${port}`, "127.0.0.1", "hi"],
        { stdout: FULL },
      );
      const [data] = await deadline(socket.receive(), "the datagram");
      assertEquals(new TextDecoder().decode(data), "hi");
      assertFull("talker", result, `talker ${mode.join(" ")} > /dev/full`);
    }
  },
});

Deno.test({
  name: "server to a full disk stops by itself: the stdout line alone, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const mode of [[], ["--json"]]) {
      await using server = TestProcess.tool("server", [...mode, "-p", "0"], {
        stdout: FULL,
      });
      const status = await server.status("the server to stop by itself");
      const stderr = server.stderr.text;
      assertNoStack(stderr);
      // Its first stdout line fails before `-p 0` would say the port: no
      // line says it listens after the line that says why it stops.
      assertEquals(linesOf(stderr), [ENOSPC("server")]);
      assertEquals(status.code, 1);
      assertEquals(status.signal, null);
    }
  },
});

Deno.test({
  name:
    "listener to a full disk stops by itself: one stdout line among its lines, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const mode of [[], ["-k"], ["--json"]]) {
      await using listener = TestProcess.tool(
        "listener",
        [...mode, "-p", "0"],
        {
          stdout: FULL,
        },
      );
      const status = await listener.status("the listener to stop by itself");
      const stderr = listener.stderr.text;
      assertNoStack(stderr);
      assertEquals(
        linesOf(stderr).filter((line) => !/listening on/.test(line)),
        [ENOSPC("listener")],
      );
      assertEquals(status.code, 1);
      assertEquals(status.signal, null);
    }
  },
});

Deno.test({
  name:
    "server whose reader went away greets the client in flight, then stops quietly, exit 141; -v still says so on stderr",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", ["-v", "-p", "0"]);
    const port = await listeningPort(server.stderr);
    await server.stdout.waitFor(/^server: waiting for connections\.\.\.$/);
    await server.closeStdout();
    // Its line cannot be written; the greeting is already under way.
    const conn = await deadline(
      Deno.connect({ hostname: "127.0.0.1", port }),
      "a connection",
    );
    const reply = await deadline(new Response(conn.readable).text(), "EOF");
    assertEquals(reply, "Hello, world!");
    const status = await server.status("the server to stop by itself");
    assertEquals(status.code, 141, server.stderr.text);
    assertEquals(status.signal, null);
    assertNoStack(server.stderr.text);
    // Quiet about the pipe, but stderr is not silenced with stdout.
    assertEquals(server.stderr.lines, [
      `server: listening on [::]:${port}`,
      "server: stopped",
    ]);
  },
});

Deno.test({
  name:
    "listener -k whose reader went away stops quietly at the next datagram, exit 141",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const mode of [["-k"], ["-k", "--json"], ["-k", "-x"]]) {
      await using listener = TestProcess.tool("listener", [...mode, "-p", "0"]);
      const port = await listeningPort(listener.stderr);
      if (!mode.includes("--json")) {
        await listener.stdout.waitFor(/^listener: waiting to recvfrom\.\.\.$/);
      } else {
        await listener.stdout.waitFor(/"listening"/);
      }
      await listener.closeStdout();
      using socket = udpPeer();
      await socket.send(bytes("hello"), {
        transport: "udp",
        hostname: "127.0.0.1",
        port,
      });
      const status = await listener.status("the listener to stop by itself");
      assertEquals(status.code, 141, listener.stderr.text);
      assertEquals(status.signal, null);
      assertEquals(listener.stderr.lines, [
        `listener: listening on [::]:${port}`,
      ]);
    }
  },
});

Deno.test({
  name: "client whose reader went away stops quietly, exit 141",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const peer = onePeer(async (conn) => {
      await writeAll(conn, bytes("Hello, world!"));
    });
    await using client = TestProcess.tool("client", [
      "-p",
      `${peer.port}`,
      "127.0.0.1",
    ]);
    await client.closeStdout();
    const status = await client.status();
    await peer.done.catch(() => {});
    assertEquals(status.code, 141, client.stderr.text);
    assertEquals(client.stderr.text, "");
  },
});

Deno.test({
  name: "talker whose reader went away: sent, then quiet, exit 141",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    await using talker = TestProcess.tool("talker", [
      "-p",
      `${port}`,
      "127.0.0.1",
      "hi",
    ]);
    await talker.closeStdout();
    const status = await talker.status();
    const [data] = await deadline(socket.receive(), "the datagram");
    assertEquals(new TextDecoder().decode(data), "hi");
    assertEquals(status.code, 141, talker.stderr.text);
    assertEquals(talker.stderr.text, "");
  },
});

Deno.test({
  name: "help to a reader that went away: quiet, exit 141",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const tool of ["server", "client", "listener", "talker"]) {
      await using run = TestProcess.tool(tool, ["-h"]);
      await run.closeStdout();
      const status = await run.status();
      assert(
        status.code === 141 || status.code === 0,
        `${tool} -h: exit ${status.code}`,
      );
      assertMatch(run.stderr.text, /^$/, `${tool} -h: ${run.stderr.text}`);
    }
  },
});
