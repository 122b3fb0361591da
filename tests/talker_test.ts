/**
 * End-to-end tests of `talker` (cmd/talker.ts): Beej's datagram "client"
 * line for line by default, and each option beyond it (numbered datagrams:
 * tests/talker_numbered_test.ts). Most tests run `main()` in process against
 * sockets made here; those that need a real process (stdin from a pipe, the
 * `import.meta.main` path) spawn it and are ignored without
 * `--allow-run --allow-read --allow-env`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { main } from "../cmd/talker.ts";
import { parseTalker, runTalker } from "../cmd/_talker.ts";
import {
  assertNoStack,
  assertOneLineFailure,
  bytes,
  deadline,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  refusedLine,
  runInProcess,
  runTool,
  VERSION,
} from "./_util.ts";
import { portOf, receive, receiver, talker } from "./_talker.ts";

/** Every byte value, and again: binary data for stdin tests. */
const BINARY = new Uint8Array(512).map((_, i) => i & 0xff);

// ---------------------------------------------------------------------------
// Default behaviour

Deno.test("talker sends the message and names the host as typed, exit 0", async () => {
  for (const host of ["localhost", "127.0.0.1"]) {
    using socket = receiver();
    const { code, run } = await talker([
      "-p",
      `${portOf(socket)}`,
      host,
      "hello, listener",
    ]);
    assertStrictEquals(code, 0, host);
    assertEquals(run.stdout.lines, [`talker: sent 15 bytes to ${host}`]);
    assertStrictEquals(run.stderr.text, "");
    const [data] = await receive(socket);
    assertEquals(data, bytes("hello, listener"));
  }
});

Deno.test("talker sends UTF-8 text byte for byte", async () => {
  using socket = receiver();
  const text = "h\u00e9llo \u{1f600}\n";
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "127.0.0.1",
    text,
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    `talker: sent ${bytes(text).length} bytes to 127.0.0.1`,
  ]);
  assertEquals((await receive(socket))[0], bytes(text));
});

Deno.test({
  name: "talker sends to UDP port 4950 by default",
  // The net permission is narrowed so that the port shows in the permission
  // error: nothing is ever sent to 4950.
  permissions: { net: ["0.0.0.0"] },
  async fn(): Promise<void> {
    const { code, run } = await talker(["127.0.0.1", "hi"]);
    assertStrictEquals(code, 1);
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.lines.length, 1);
    assertMatch(
      run.stderr.lines[0]!,
      /^talker: permission denied: .*"127\.0\.0\.1:4950".*--allow-net/,
    );
  },
});

Deno.test("talker with a wrong argument count prints the usage line, exit 1", async () => {
  for (const args of [[], ["127.0.0.1"], ["127.0.0.1", "a", "b"]]) {
    const { code, run } = await talker(args);
    assertStrictEquals(code, 1, JSON.stringify(args));
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.text, "usage: talker hostname message\n");
  }
});

Deno.test("talker with a name that does not resolve: getaddrinfo line, exit 1", async () => {
  const { code, run } = await talker(["nonexistent.invalid", "hi"]);
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertStrictEquals(
    run.stderr.text,
    "getaddrinfo: Name or service not known\n",
  );
});

Deno.test("runTalker() reports a failed send as the sendto line, exit 1", async () => {
  // Port 0 is no destination: sendto() fails with EINVAL. The command line
  // refuses it (1-65535), so the run is handed the configuration directly.
  const run = runInProcess((_, io) =>
    runTalker({
      host: "127.0.0.1",
      message: "hi",
      port: 0,
      family: 0,
      verbose: false,
      json: false,
      trace: false,
    }, io), []);
  assertStrictEquals(await deadline(run.code, "the talker"), 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, ["talker: sendto: Invalid argument"]);
});

// ---------------------------------------------------------------------------
// Beyond the C original

Deno.test("talker - sends stdin as the datagram, binary-safe", async () => {
  using socket = receiver();
  const { code, run } = await talker(
    ["-p", `${portOf(socket)}`, "127.0.0.1", "-"],
    [BINARY.subarray(0, 100), BINARY.subarray(100, 300), BINARY.subarray(300)],
  );
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, ["talker: sent 512 bytes to 127.0.0.1"]);
  assertEquals((await receive(socket))[0], BINARY);
});

// A closed stdin reads as empty (the runtime opens /dev/null in its place),
// so an empty stdin is refused, naming stdin; MESSAGE "" is the empty
// datagram.
Deno.test("talker - with empty stdin: nothing to send, said of stdin, exit 1", async () => {
  using socket = receiver();
  const { code, run } = await talker(
    ["-p", `${portOf(socket)}`, "127.0.0.1", "-"],
    [],
  );
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    'talker: stdin: nothing to send (an empty datagram is MESSAGE "")',
  ]);
});

Deno.test('talker HOST "" sends an empty datagram', async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "127.0.0.1",
    "",
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, ["talker: sent 0 bytes to 127.0.0.1"]);
  assertStrictEquals((await receive(socket))[0].length, 0);
});

Deno.test("talker sends 65,507 bytes, the most one IPv4 datagram holds", async () => {
  using socket = receiver();
  const message = "m".repeat(65_507);
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "127.0.0.1",
    message,
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, ["talker: sent 65507 bytes to 127.0.0.1"]);
  const [data] = await receive(socket);
  assertStrictEquals(data.length, 65_507);
});

Deno.test("talker refuses 65,508 bytes to IPv4 with one line, exit 1", async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "127.0.0.1",
    "m".repeat(65_508),
  ]);
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "talker: message is 65508 bytes: at most 65507 fit in one IPv4 datagram",
  ]);
});

Deno.test("talker - refuses stdin too large for one datagram, exit 1", async () => {
  const { code, run } = await talker(
    ["-p", "9", "127.0.0.1", "-"],
    [new Uint8Array(40_000), new Uint8Array(40_000)],
  );
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertStrictEquals(run.stderr.lines.length, 1);
  assertMatch(
    run.stderr.lines[0]!,
    /^talker: message is more than 65507 bytes: at most 65507 fit in one IPv4 datagram$/,
  );
});

Deno.test({
  name: "talker sends 65,527 bytes over IPv6 and refuses 65,528",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    using socket = receiver("::1");
    const port = `${portOf(socket)}`;
    const ok = await talker(["-p", port, "::1", "m".repeat(65_527)]);
    assertStrictEquals(ok.code, 0);
    assertEquals(ok.run.stdout.lines, ["talker: sent 65527 bytes to ::1"]);
    assertStrictEquals((await receive(socket))[0].length, 65_527);
    const tooBig = await talker(["-p", port, "::1", "m".repeat(65_528)]);
    assertStrictEquals(tooBig.code, 1);
    assertEquals(tooBig.run.stderr.lines, [
      "talker: message is 65528 bytes: at most 65527 fit in one IPv6 datagram",
    ]);
  },
});

/** A socket that answers the first datagram it receives with `reply`. */
function responder(
  reply: Uint8Array,
): { port: number; done: Promise<Deno.NetAddr> } & Disposable {
  const socket = receiver();
  const done = (async (): Promise<Deno.NetAddr> => {
    const [, from] = await receive(socket);
    await socket.send(reply, from);
    return from;
  })();
  return {
    port: portOf(socket),
    done,
    [Symbol.dispose]: () => socket.close(),
  };
}

Deno.test("talker -w shows one reply from the peer in the listener's format", async () => {
  using peer = responder(bytes("pong \x1b[1m\n"));
  const { code, run } = await talker([
    "-w",
    "5",
    "-p",
    `${peer.port}`,
    "127.0.0.1",
    "ping",
  ]);
  await peer.done;
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "talker: sent 4 bytes to 127.0.0.1",
    "talker: got packet from 127.0.0.1",
    "talker: packet is 10 bytes long",
    'talker: packet contains "pong \\x1b[1m\\n"',
  ]);
  assertStrictEquals(run.stderr.text, "");
});

Deno.test("talker -w ignores a datagram from another port and times out, exit 1", async () => {
  using peer = receiver();
  using intruder = receiver();
  const running = talker([
    "--wait",
    "0.5",
    "-p",
    `${portOf(peer)}`,
    "127.0.0.1",
    "ping",
  ]);
  const [, from] = await receive(peer);
  await intruder.send(bytes("not the peer"), from);
  const started = performance.now();
  const { code, run } = await running;
  assert(performance.now() - started < 3000);
  assertStrictEquals(code, 1);
  assertEquals(run.stderr.lines, ["talker: no reply within 0.5 seconds"]);
  // The datagram was sent: Beej's line says so, reply or not.
  assertEquals(run.stdout.lines, ["talker: sent 4 bytes to 127.0.0.1"]);
});

Deno.test("talker -w prints the sent line when it sends, before any reply", async () => {
  using peer = receiver();
  const run = runInProcess(main, [
    "-w",
    "1",
    "-p",
    `${portOf(peer)}`,
    "127.0.0.1",
    "ping",
  ]);
  const [, from] = await receive(peer);
  // Beej's talker prints this line as soon as sendto() returns.
  const printedFirst = await Promise.race([
    run.stdout.waitFor(/^talker: sent/, "the sent line").then(() => true),
    run.code.then(() => false),
  ]);
  await peer.send(bytes("pong"), from);
  const code = await deadline(run.code, "the talker to exit");
  assert(printedFirst, "the sent line was not printed before the reply");
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "talker: sent 4 bytes to 127.0.0.1",
    "talker: got packet from 127.0.0.1",
    "talker: packet is 4 bytes long",
    'talker: packet contains "pong"',
  ]);
});

Deno.test("talker -w skips a datagram from another port and shows the peer's", async () => {
  using peer = receiver();
  using intruder = receiver();
  const running = talker([
    "-w",
    "5",
    "-p",
    `${portOf(peer)}`,
    "127.0.0.1",
    "ping",
  ]);
  const [, from] = await receive(peer);
  await intruder.send(bytes("intruder"), from);
  await peer.send(bytes("peer"), from);
  const { code, run } = await running;
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "talker: sent 4 bytes to 127.0.0.1",
    "talker: got packet from 127.0.0.1",
    "talker: packet is 4 bytes long",
    'talker: packet contains "peer"',
  ]);
});

Deno.test("talker --json emits a sent event, and a datagram event for a reply", async () => {
  using peer = responder(new Uint8Array([0xff, 0x00]));
  const { code, run } = await talker([
    "--json",
    "-w",
    "5",
    "-p",
    `${peer.port}`,
    "127.0.0.1",
    "ping",
  ]);
  await peer.done;
  assertStrictEquals(code, 0);
  assertStrictEquals(run.stderr.text, "");
  assertEquals(run.stdout.lines.map((line) => JSON.parse(line)), [
    { event: "sent", address: "127.0.0.1", port: peer.port, bytes: 4 },
    {
      event: "datagram",
      address: "127.0.0.1",
      port: peer.port,
      bytes: 2,
      base64: "/wA=",
    },
  ]);
});

Deno.test("talker -4 localhost sends over IPv4", async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-4",
    "-p",
    `${portOf(socket)}`,
    "localhost",
    "four",
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, ["talker: sent 4 bytes to localhost"]);
  const [data, from] = await receive(socket);
  assertEquals(data, bytes("four"));
  assertStrictEquals(from.hostname, "127.0.0.1");
});

Deno.test({
  name: "talker -6 ::1 sends over IPv6",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    using socket = receiver("::1");
    const { code, run } = await talker([
      "-6",
      "-p",
      `${portOf(socket)}`,
      "::1",
      "six",
    ]);
    assertStrictEquals(code, 0);
    assertEquals(run.stdout.lines, ["talker: sent 3 bytes to ::1"]);
    const [data, from] = await receive(socket);
    assertEquals(data, bytes("six"));
    assertStrictEquals(from.hostname, "::1");
  },
});

Deno.test("talker -6 with an IPv4 literal (and -4 with IPv6): getaddrinfo line, exit 1", async () => {
  for (const args of [["-6", "127.0.0.1", "hi"], ["-4", "::1", "hi"]]) {
    const { code, run } = await talker(args);
    assertStrictEquals(code, 1, JSON.stringify(args));
    assertStrictEquals(run.stdout.text, "");
    assertEquals(run.stderr.lines, [
      "getaddrinfo: Address family for hostname not supported",
    ]);
  }
});

Deno.test("talker -v says where the datagram went", async () => {
  using socket = receiver();
  const port = portOf(socket);
  const { code, run } = await talker(["-v", "-p", `${port}`, "127.0.0.1", "x"]);
  assertStrictEquals(code, 0);
  assertEquals(run.stderr.lines, [
    `talker: sent to 127.0.0.1 port ${port}`,
  ]);
  await receive(socket);
});

Deno.test("talker -h prints usage on stdout, exit 0", async () => {
  for (const flag of ["-h", "--help"]) {
    const { code, run } = await talker([flag]);
    assertStrictEquals(code, 0);
    assertMatch(run.stdout.lines[0]!, /^usage: talker hostname message/);
    assertMatch(run.stdout.text, /--wait/);
    assertStrictEquals(run.stderr.text, "");
  }
});

Deno.test("talker -V prints one version line, exit 0", async () => {
  for (const flag of ["-V", "--version"]) {
    const { code, run } = await talker([flag]);
    assertStrictEquals(code, 0);
    assertEquals(run.stdout.lines, [
      `talker (beejnet) ${VERSION} (deno ${Deno.version.deno})`,
    ]);
    assertStrictEquals(run.stderr.text, "");
  }
});

/** Bad command lines, each with the one line it must print. */
const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus", "h", "m"], /^talker: unknown option "--bogus"$/],
  [
    ["-z", "h", "m"],
    /^talker: unknown option "-z" \(a message starting with "-" goes after "--": talker HOST -- MESSAGE\)$/,
  ],
  [["h", "m", "-p"], /^talker: option "-p" needs a value$/],
  [
    ["-p", "65536", "h", "m"],
    /^talker: invalid port "65536": must be 1-65535$/,
  ],
  // A destination port is 1-65535 (nc's strtonum(port, 1, PORT_MAX)).
  [["-p", "0", "h", "m"], /^talker: invalid port "0": must be 1-65535$/],
  [["-p", "-1", "h", "m"], /^talker: invalid port "-1"/],
  [["-p", "4950x", "h", "m"], /^talker: invalid port "4950x"/],
  [["", "m"], /^talker: invalid host: the host is empty$/],
  [["localhost:4950", "m"], /^talker: invalid host "localhost:4950"/],
  [
    ["a".repeat(300), "m"],
    /^talker: invalid host "a{20}\.\.\.": longer than 253/,
  ],
  [
    ["-4", "-6", "h", "m"],
    /^talker: options "-4" and "-6" cannot be used together$/,
  ],
  [["-w", "0", "h", "m"], /^talker: invalid wait "0"/],
  [["-w", "soon", "h", "m"], /^talker: invalid wait "soon"/],
  // Numbered datagrams.
  [["-c", "0", "h", "m"], /^talker: invalid count "0": must be 1-4294967296$/],
  [
    ["-c", "4294967297", "h", "m"],
    /^talker: invalid count "4294967297": must be 1-4294967296$/,
  ],
  [["-c", "ten", "h", "m"], /^talker: invalid count "ten": not a whole/],
  [
    ["-c", "2", "-r", "0", "h", "m"],
    /^talker: invalid rate "0": must be positive: at least 1\/86400 and at most 1000000 per second$/,
  ],
  [["-c", "2", "-r", "1000001", "h", "m"], /^talker: invalid rate "1000001"/],
  // The user trial's: each says the real bound, or what is accepted.
  [
    ["-c", "2", "-r", "-1", "h", "m"],
    /^talker: invalid rate "-1": must be positive: at least 1\/86400 and at most 1000000 per second$/,
  ],
  // Slower than one a day would wait longer than --interval may.
  [
    ["-c", "2", "-r", "0.000000001", "h", "m"],
    /^talker: invalid rate "0\.000000001": must be at least 1\/86400 and at most 1000000 per second$/,
  ],
  [
    ["-c", "2", "-r", "1e-300", "h", "m"],
    /^talker: invalid rate "1e-300": not a plain decimal number \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-c", "2", "-r", "1e309", "h", "m"],
    /^talker: invalid rate "1e309": not a plain decimal number \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-w", "0.0001", "h", "m"],
    /^talker: invalid wait "0\.0001": must be at least 0\.001 and at most 86400 seconds$/,
  ],
  [
    ["-c", "2", "-r", "fast", "h", "m"],
    /^talker: invalid rate "fast": not a plain decimal number \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-c", "2", "--interval", "86401", "h", "m"],
    /^talker: invalid interval "86401": must be 0-86400 seconds$/,
  ],
  [
    ["-c", "2", "--interval", "1e-3", "h", "m"],
    /^talker: invalid interval "1e-3": not a plain number of seconds \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-c", "2", "-r", "10", "--interval", "1", "h", "m"],
    /^talker: options "--rate" and "--interval" cannot be used together$/,
  ],
  [
    ["-r", "0.5", "h", "m"],
    /^talker: option "--rate" paces a run of datagrams: give "--count" above 1$/,
  ],
  [
    ["--seq", "--interval", "1", "h", "m"],
    /^talker: option "--interval" paces a run of datagrams: give "--count" above 1$/,
  ],
  [
    ["-c", "1", "-r", "5", "h", "m"],
    /^talker: option "--rate" paces a run of datagrams: give "--count" above 1$/,
  ],
  [
    ["--seq", "-s", "19", "h", "m"],
    /^talker: invalid size "19": must be 20-65527$/,
  ],
  [
    ["--seq", "-s", "65528", "h", "m"],
    /^talker: invalid size "65528": must be 20-65527$/,
  ],
  [
    ["-s", "100", "h", "m"],
    /^talker: option "--size" needs numbered datagrams \("--seq" or "--count" above 1\)$/,
  ],
  [
    ["-c", "1", "-s", "100", "h", "m"],
    /^talker: option "--size" needs numbered datagrams/,
  ],
  [
    ["-c", "2", "-w", "1", "h", "m"],
    /^talker: option "--wait" cannot be used with numbered datagrams \("--count", "--seq"\)$/,
  ],
  [["--seq", "-w", "1", "h", "m"], /^talker: option "--wait" cannot be used/],
  [
    ["--seq", "-s", "24", "h", "hello"],
    /^talker: message is 5 bytes: with the 20-byte header it does not fit "--size" 24$/,
  ],
  [["--seq=yes", "h", "m"], /^talker: option "--seq" takes no value/],
  // $'\xff\xfe' as Deno gives it (lossily decoded): refused, not rewritten.
  [
    ["h", "\uFFFD\uFFFD"],
    /^talker: message is not valid UTF-8 \(or contains U\+FFFD\): Deno cannot pass its bytes on from the command line; give it on stdin with MESSAGE "-" \(talker HOST - < FILE\)$/,
  ],
  [["-c", "2", "h", "ok \uFFFD"], /^talker: message is not valid UTF-8/],
];

Deno.test("parseTalker() refuses bad input, each with the one line to print", () => {
  for (const [args, expected] of BAD_INPUT) {
    const what = `talker ${JSON.stringify(args)}`;
    assertMatch(refusedLine("talker", parseTalker, args), expected, what);
  }
});

// ---------------------------------------------------------------------------
// As a process

Deno.test({
  name: "talker (process) sends and exits 0",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using socket = receiver();
    const result = await runTool("talker", [
      "-p",
      `${portOf(socket)}`,
      "localhost",
      "from a process",
    ]);
    assertStrictEquals(result.code, 0);
    assertStrictEquals(result.stdout, "talker: sent 14 bytes to localhost\n");
    assertStrictEquals(result.stderr, "");
    assertEquals((await receive(socket))[0], bytes("from a process"));
  },
});

Deno.test({
  name: "talker (process) - reads a binary datagram from a pipe",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using socket = receiver();
    const result = await runTool(
      "talker",
      ["-p", `${portOf(socket)}`, "127.0.0.1", "-"],
      { stdin: BINARY },
    );
    assertStrictEquals(result.code, 0);
    assertStrictEquals(result.stdout, "talker: sent 512 bytes to 127.0.0.1\n");
    assertEquals((await receive(socket))[0], BINARY);
  },
});

Deno.test({
  name: "talker (process) - refuses a piped message too large, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const result = await runTool("talker", ["-p", "9", "127.0.0.1", "-"], {
      stdin: new Uint8Array(70_000),
    });
    assertStrictEquals(result.code, 1);
    assertStrictEquals(result.stdout, "");
    assertNoStack(result.stderr);
    assertMatch(
      result.stderr,
      /^talker: message is more than 65507 bytes: at most 65507 fit in one IPv4 datagram\n$/,
    );
  },
});

Deno.test({
  name:
    "talker (process) usage and bad input: one line, exit 1, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const cases: [string[], RegExp][] = [
      [[], /^usage: talker hostname message$/],
      [["h"], /^usage: talker hostname message$/],
      [
        ["nonexistent.invalid", "m"],
        /^getaddrinfo: Name or service not known$/,
      ],
      [
        ["-p", "0", "127.0.0.1", "m"],
        /^talker: invalid port "0": must be 1-65535$/,
      ],
      ...BAD_INPUT,
    ];
    for (const [args, expected] of cases) {
      const result = await runTool("talker", args);
      assertOneLineFailure(result, expected, `talker ${JSON.stringify(args)}`);
    }
  },
});

Deno.test({
  name:
    "talker (process) without net permission: one line naming --allow-net, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const result = await runTool("talker", ["-p", "9", "127.0.0.1", "hi"], {
      permissions: ["--allow-net=10.9.9.9"],
    });
    assertStrictEquals(result.code, 1);
    assertStrictEquals(result.stdout, "");
    assertNoStack(result.stderr);
    assertMatch(
      result.stderr,
      /^talker: permission denied: .*--allow-net.*\n$/,
    );
  },
});
