/**
 * Messages found when the tools were tried as a new user would: each is one
 * line that names the problem, with the reference exit code; and the signals
 * a user sends stop the long-running tools as they say.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { needs, onePeer, udpPeer } from "./_peers.ts";
import {
  assertNoStack,
  bytes,
  deadline,
  listeningPort,
  TestProcess,
  toolCommand,
} from "./_util.ts";

const linesOf = (text: string): string[] => text.split("\n").slice(0, -1);

/** One line on stderr matching `expected`, nothing on stdout, exit `code`. */
function assertOneLine(
  result: { status: Deno.CommandStatus; stdout: string; stderr: string },
  expected: RegExp,
  code: number,
  what: string,
): void {
  assertNoStack(result.stderr, what);
  const lines = linesOf(result.stderr);
  assertEquals(lines.length, 1, `${what}: ${result.stderr}`);
  assertMatch(lines[0]!, expected, what);
  assertEquals(result.stdout, "", what);
  assertEquals(result.status.code, code, what);
}

Deno.test({
  name:
    "talker 127.0.0.1 -hi: the unknown option, and that a message starting with - goes after --",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const result = await TestProcess.run("talker", ["127.0.0.1", "-hi"]);
    assertOneLine(
      result,
      /^talker: unknown option "-i".*message starting with "-".*after "--"/,
      1,
      "talker 127.0.0.1 -hi",
    );
  },
});

Deno.test({
  name: "talker 127.0.0.1 -- -hi sends -hi",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await TestProcess.run("talker", [
      "-p",
      `${port}`,
      "127.0.0.1",
      "--",
      "-hi",
    ]);
    assertEquals(result.status.code, 0, result.stderr);
    const [data] = await deadline(socket.receive(), "the datagram");
    assertEquals(new TextDecoder().decode(data), "-hi");
  },
});

Deno.test({
  name:
    "talker - with a megabyte on stdin: 'more than 65507 bytes', never a wrong size, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await TestProcess.run(
      "talker",
      ["-p", `${port}`, "127.0.0.1", "-"],
      { stdin: new Uint8Array(1_000_000) },
    );
    assertOneLine(
      result,
      /^talker: message is more than 65,?507 bytes: at most 65,?507 fit in one IPv4 datagram$/,
      1,
      "a megabyte on stdin",
    );
  },
});

/**
 * Run a tool with `args` and then the bytes FF FE as its last argument,
 * raw: the shell puts them in argv, which Deno.Command cannot.
 */
async function withRawLastArgument(
  tool: string,
  args: string[],
): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
  await using proc = new TestProcess("sh", [
    "-c",
    `exec "$@" "$(printf '\\377\\376')"`,
    "sh",
    ...toolCommand(tool),
    ...args,
  ]);
  const status = await proc.status(`${tool} ${args.join(" ")} $'\\xff\\xfe'`);
  return { status, stdout: proc.stdout.text, stderr: proc.stderr.text };
}

Deno.test({
  name:
    "talker with a message not UTF-8 ($'\\xff\\xfe'): refused in one line naming stdin, exit 1, not sent rewritten",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await withRawLastArgument("talker", [
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    assertOneLine(
      result,
      /^talker: message is not valid UTF-8 \(or contains U\+FFFD\): .*give it on stdin with MESSAGE "-"/,
      1,
      "talker 127.0.0.1 $'\\xff\\xfe'",
    );
    // Nothing went: a datagram sent now is the first the socket holds
    // (loopback queues a datagram at once, and the talker has exited).
    using marker = udpPeer();
    await marker.send(bytes("marker"), socket.addr);
    const [data] = await deadline(socket.receive(), "the marker");
    assertEquals(new TextDecoder().decode(data), "marker");
  },
});

Deno.test({
  name:
    "server -m $'\\xff\\xfe': refused in one line, exit 1, not served rewritten",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const result = await withRawLastArgument("server", ["-p", "0", "-m"]);
    assertOneLine(
      result,
      /^server: option "--message" is not valid UTF-8 \(or contains U\+FFFD\): /,
      1,
      "server -p 0 -m $'\\xff\\xfe'",
    );
  },
});

Deno.test({
  name: "talker - with stdin closed: names stdin, sends nothing, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await TestProcess.run(
      "talker",
      ["-p", `${port}`, "127.0.0.1", "-"],
      { stdin: "closed" },
    );
    assertOneLine(result, /^talker: stdin: /, 1, "talker - <&-");
  },
});

Deno.test({
  name: "talker - with a directory as stdin: names stdin, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const result = await TestProcess.run("talker", ["127.0.0.1", "-"], {
        stdin: { path: dir },
      });
      assertOneLine(
        result,
        /^talker: stdin: [Ii]s a directory$/,
        1,
        "talker - </tmp",
      );
    } finally {
      await Deno.remove(dir);
    }
  },
});

Deno.test({
  name: "client with a newline in the host: the whole message, escaped, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const result = await TestProcess.run("client", ["localhost\n"]);
    assertOneLine(
      result,
      /^client: invalid host "localhost\\n": not a host name$/,
      1,
      "client $'localhost\\n'",
    );
    const tabbed = await TestProcess.run("client", ["local\thost\nx\x1b[31m"]);
    assertOneLine(
      tabbed,
      /^client: invalid host "local\\thost\\nx\\x1b\[31m": not a host name$/,
      1,
      "a host with a tab, a newline and an escape",
    );
  },
});

Deno.test({
  name:
    "client '::1%lo' (a zone): a resolution failure, getaddrinfo line, exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const host of ["::1%lo", "::1%nosuchzone"]) {
      const result = await TestProcess.run("client", ["-p", "1", host]);
      assertOneLine(result, /^getaddrinfo: \S/, 1, `client '${host}'`);
    }
  },
});

Deno.test({
  name: "talker -w 1 with no reply: 'no reply within 1 second', exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer(); // receives, never replies
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await TestProcess.run("talker", [
      "-w",
      "1",
      "-p",
      `${port}`,
      "127.0.0.1",
      "hi",
    ]);
    assertEquals(result.status.code, 1);
    assertEquals(linesOf(result.stderr), [
      "talker: no reply within 1 second",
    ]);
  },
});

Deno.test({
  name: "client -w 1 to a silent server: 'nothing for 1 second', exit 1",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const { promise: done, resolve: finish } = Promise.withResolvers<void>();
    const peer = onePeer(() => done); // accepts, sends nothing
    try {
      const result = await TestProcess.run("client", [
        "-w",
        "1",
        "-p",
        `${peer.port}`,
        "127.0.0.1",
      ]);
      assertEquals(result.status.code, 1);
      assertEquals(linesOf(result.stderr), [
        "client: timed out: the server sent nothing for 1 second and did not close the connection",
      ]);
    } finally {
      finish();
      await peer.done.catch(() => {});
    }
  },
});

Deno.test({
  name: "server -v and listener -v name the address of each failed bind",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const tcpPort = (tcp.addr as Deno.NetAddr).port;
    const server = await TestProcess.run("server", [
      "-v",
      "-b",
      "127.0.0.1",
      "-p",
      `${tcpPort}`,
    ]);
    assertEquals(linesOf(server.stderr), [
      `server: bind: 127.0.0.1:${tcpPort}: Address already in use`,
      "server: failed to bind",
    ]);
    assertEquals(server.status.code, 1);

    using udp = udpPeer();
    const udpPort = (udp.addr as Deno.NetAddr).port;
    const listener = await TestProcess.run("listener", [
      "-v",
      "-b",
      "127.0.0.1",
      "-p",
      `${udpPort}`,
    ]);
    assertEquals(linesOf(listener.stderr), [
      `listener: bind: 127.0.0.1:${udpPort}: Address already in use`,
      "listener: failed to bind socket",
    ]);
    assertEquals(listener.status.code, 2);
  },
});

Deno.test({
  name: "server stops on SIGHUP as on SIGTERM: finishes, exit 0",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    for (const signal of ["SIGTERM", "SIGHUP"] as const) {
      await using server = TestProcess.tool("server", ["-v", "-p", "0"]);
      await listeningPort(server.stderr);
      server.kill(signal);
      const status = await server.status();
      assertEquals(
        status.signal,
        null,
        `${signal}: it exits, it is not killed`,
      );
      assertEquals(status.code, 0, signal);
      assert(server.stderr.lines.includes("server: stopped"), signal);
    }
  },
});

Deno.test({
  name:
    "listener stopped before its count exits 128+N: 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP; -k exits 0",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const cases = [
      [[], "SIGINT", 130],
      [[], "SIGTERM", 143],
      [[], "SIGHUP", 129],
      [["-k"], "SIGTERM", 0],
      [["-k"], "SIGHUP", 0],
    ] as const;
    for (const [mode, signal, code] of cases) {
      const what = `listener ${mode.join(" ")} on ${signal}`;
      await using listener = TestProcess.tool("listener", [...mode, "-p", "0"]);
      await listeningPort(listener.stderr);
      await listener.stdout.waitFor(/^listener: waiting to recvfrom\.\.\.$/);
      listener.kill(signal);
      const status = await listener.status();
      assertEquals(status.signal, null, `${what}: it exits, it is not killed`);
      assertEquals(status.code, code, what);
      assertNoStack(listener.stderr.text, what);
    }
  },
});

Deno.test({
  name: "a message on stdin is still sent whole",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const result = await TestProcess.run(
      "talker",
      ["-p", `${port}`, "127.0.0.1", "-"],
      { stdin: bytes("from stdin") },
    );
    assertEquals(result.status.code, 0, result.stderr);
    const [data] = await deadline(socket.receive(), "the datagram");
    assertEquals(new TextDecoder().decode(data), "from stdin");
  },
});
