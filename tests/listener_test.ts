/**
 * End-to-end tests of `listener` (cmd/listener.ts): Beej's datagram
 * "server" line for line by default, and each option beyond it. Most tests
 * run `main()` in process and send from sockets made here; those that need a
 * real process (signals, the `import.meta.main` path) spawn it and are
 * ignored without `--allow-run --allow-read --allow-env`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { main } from "../cmd/listener.ts";
import { type ListenerConfig, parseListener } from "../cmd/_listener.ts";
import { reportFields, reportLines } from "../cmd/_stats.ts";
import type { SenderReport } from "../lib/datagram_stats.ts";
import { numberedDatagram, wallClock } from "../lib/numbered_datagram.ts";
import {
  assertNoStack,
  assertOneLineFailure,
  bytes,
  deadline,
  freeUdpPort,
  type InProcess,
  listeningPort,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  refusedLine,
  runInProcess,
  runTool,
  TestProcess,
  udpSocket,
  VERSION,
} from "./_util.ts";

const WAITING = "listener: waiting to recvfrom...";

/** Start the listener in process; resolve once it says where it listens. */
async function start(args: string[]): Promise<InProcess & { port: number }> {
  const run = runInProcess(main, args);
  const port = await Promise.race([
    listeningPort(run.stderr),
    run.code.then((code) => {
      throw new Error(
        `listener exited ${code} before listening: ${run.stderr.text}`,
      );
    }),
  ]);
  return { ...run, port };
}

/** A datagram socket that `using` closes. */
function closing(socket: Deno.DatagramConn): Deno.DatagramConn & Disposable {
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** Send one datagram from a fresh socket on `from`; the sender's port. */
async function send(
  port: number,
  data: Uint8Array,
  from = "127.0.0.1",
): Promise<number> {
  using socket = closing(udpSocket(from));
  await deadline(
    socket.send(data, { transport: "udp", hostname: from, port }),
    "a datagram to be sent",
  );
  return (socket.addr as Deno.NetAddr).port;
}

/** Wait for the in-process listener to exit by itself; its exit code. */
function exited(run: InProcess): Promise<number> {
  return deadline(run.code, "the listener to exit");
}

/** The three lines Beej's listener prints for a datagram. */
function packetLines(from: string, length: number, shown: string): string[] {
  return [
    `listener: got packet from ${from}`,
    `listener: packet is ${length} bytes long`,
    `listener: packet contains "${shown}"`,
  ];
}

/** Assert a spawned tool's stderr holds no uncaught error or stack trace. */
// ---------------------------------------------------------------------------
// Default behaviour

Deno.test("listener prints Beej's lines for one datagram from 127.0.0.1, exit 0", async () => {
  const run = await start(["-p", "0"]);
  await run.stdout.waitFor(/^listener: waiting/);
  await send(run.port, bytes("DATA"));
  assertStrictEquals(await exited(run), 0);
  // The IPv4 sender reached the dual-stack socket as ::ffff:127.0.0.1.
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines("127.0.0.1", 4, "DATA"),
  ]);
  assertEquals(run.stderr.lines, [
    `listener: listening on [::]:${run.port}`,
  ]);
});

Deno.test({
  name: "listener shows a datagram from ::1",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-p", "0"]);
    await send(run.port, bytes("from six"), "::1");
    assertStrictEquals(await exited(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      ...packetLines("::1", 8, "from six"),
    ]);
  },
});

Deno.test({
  name: "listener listens on UDP port 4950 by default",
  // The net permission is narrowed so that the default port shows in the
  // permission error: the test never binds 4950 itself.
  permissions: { net: ["127.0.0.1:1"] },
  async fn(): Promise<void> {
    const run = runInProcess(main, ["-b", "127.0.0.1"]);
    assertStrictEquals(await exited(run), 1);
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.lines.length, 1);
    assertMatch(
      run.stderr.lines[0]!,
      /^listener: permission denied: .*"127\.0\.0\.1:4950".*--allow-net/,
    );
  },
});

Deno.test("listener -b 127.0.0.1 on a port in use: bind line, 'failed to bind socket', exit 2", async () => {
  using taken = closing(udpSocket("127.0.0.1"));
  const { port } = taken.addr as Deno.NetAddr;
  const run = runInProcess(main, ["-b", "127.0.0.1", "-p", `${port}`]);
  assertStrictEquals(await exited(run), 2);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "listener: bind: Address already in use",
    "listener: failed to bind socket",
  ]);
});

Deno.test("listener on a port in use in both families: a bind line for each, exit 2", async () => {
  // "::" is dual-stack here, so this takes the port in both families.
  using taken = closing(udpSocket("::"));
  const { port } = taken.addr as Deno.NetAddr;
  const run = runInProcess(main, ["-p", `${port}`]);
  assertStrictEquals(await exited(run), 2);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "listener: bind: Address already in use",
    "listener: bind: Address already in use",
    "listener: failed to bind socket",
  ]);
});

// ---------------------------------------------------------------------------
// Beyond the C original

Deno.test("listener reports a 65,507-byte datagram whole", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0"]);
  await send(run.port, new Uint8Array(65_507).fill(0x7a));
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines("127.0.0.1", 65_507, "z".repeat(65_507)),
  ]);
});

Deno.test({
  name: "listener reports a 65,527-byte IPv6 datagram whole",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-p", "0"]);
    await send(run.port, new Uint8Array(65_527).fill(0x7a), "::1");
    assertStrictEquals(await exited(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      ...packetLines("::1", 65_527, "z".repeat(65_527)),
    ]);
  },
});

Deno.test("listener shows an empty datagram", async () => {
  const run = await start(["-p", "0"]);
  await send(run.port, new Uint8Array());
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines("127.0.0.1", 0, ""),
  ]);
});

Deno.test("listener escapes control bytes, invalid UTF-8 and backslashes", async () => {
  const run = await start(["-p", "0"]);
  const data = new Uint8Array([
    ...bytes('\x1b[2J"quoted"\n\\'),
    0xff,
    0x07,
    ...bytes("\u00e9\u202e"),
  ]);
  await send(run.port, data);
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines(
      "127.0.0.1",
      data.length,
      '\\x1b[2J"quoted"\\n\\\\\\xff\\x07\u00e9\\u{202e}',
    ),
  ]);
  assert(!run.stdout.text.includes("\x1b"), "ESC reached stdout");
});

Deno.test("listener -c 3 takes three datagrams from several peers, then exits 0", async () => {
  const run = await start(["-c", "3", "-p", "0"]);
  for (const [i, text] of ["one", "two", "three"].entries()) {
    await send(run.port, bytes(text));
    await run.stdout.waitFor(new RegExp(`contains "${text}"`));
    assertStrictEquals(run.stdout.lines.length, 1 + 3 * (i + 1));
  }
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines("127.0.0.1", 3, "one"),
    ...packetLines("127.0.0.1", 3, "two"),
    ...packetLines("127.0.0.1", 5, "three"),
  ]);
});

Deno.test("listener --count 2 does not exit after one datagram", async () => {
  const run = await start(["--count", "2", "-p", "0"]);
  await send(run.port, bytes("first"));
  await run.stdout.waitFor(/contains "first"/);
  // One that exited after the first would not print the second: its
  // lines, before the exit, prove it was still listening.
  await send(run.port, bytes("second"));
  assertStrictEquals(await exited(run), 0);
  assertStrictEquals(run.stdout.lines.length, 7);
  assertStrictEquals(run.stdout.lines[6], 'listener: packet contains "second"');
});

Deno.test("listener -k keeps going until stopped, then exits 0", async () => {
  const run = await start(["-k", "-p", "0"]);
  for (let i = 0; i < 5; i++) {
    await send(run.port, bytes(`datagram ${i}`));
    await run.stdout.waitFor(new RegExp(`contains "datagram ${i}"`));
  }
  run.controller.abort();
  assertStrictEquals(await exited(run), 0);
  assertStrictEquals(run.stdout.lines.length, 1 + 5 * 3);
});

Deno.test("listener stopped before its count exits 130", async () => {
  const run = await start(["-c", "2", "-p", "0"]);
  await send(run.port, bytes("only"));
  await run.stdout.waitFor(/contains "only"/);
  run.controller.abort();
  assertStrictEquals(await exited(run), 130);
});

Deno.test("listener -x shows each datagram as a hexdump -C dump", async () => {
  const run = await start(["-x", "-p", "0"]);
  await send(
    run.port,
    new Uint8Array([...bytes("Hello, listener!"), 0, 0x1b, 0xff, 0x0a]),
  );
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    "listener: got packet from 127.0.0.1",
    "listener: packet is 20 bytes long",
    "00000000  48 65 6c 6c 6f 2c 20 6c  69 73 74 65 6e 65 72 21  |Hello, listener!|",
    "00000010  00 1b ff 0a                                       |....|",
  ]);
});

Deno.test("listener --json emits listening and datagram events", async () => {
  const run = await start(["--json", "-c", "2", "-p", "0"]);
  const textPort = await send(run.port, bytes("hi \u00e9"));
  await run.stdout.waitFor(/"datagram"/);
  const binaryPort = await send(run.port, new Uint8Array([0xff, 0x00, 0x1b]));
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines.map((line) => JSON.parse(line)), [
    { event: "listening", address: "::", port: run.port },
    {
      event: "datagram",
      address: "127.0.0.1",
      port: textPort,
      bytes: 5,
      text: "hi \u00e9",
    },
    {
      event: "datagram",
      address: "127.0.0.1",
      port: binaryPort,
      bytes: 3,
      base64: "/wAb",
    },
  ]);
});

Deno.test("listener -b 127.0.0.1 listens there", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0"]);
  assertEquals(run.stderr.lines, [
    `listener: listening on 127.0.0.1:${run.port}`,
  ]);
  await send(run.port, bytes("x"));
  assertStrictEquals(await exited(run), 0);
});

Deno.test({
  name: "listener -4 listens on 0.0.0.0: an IPv6 datagram never arrives",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-4", "-p", "0"]);
    assertEquals(run.stderr.lines, [
      `listener: listening on 0.0.0.0:${run.port}`,
    ]);
    await send(run.port, bytes("six"), "::1");
    await send(run.port, bytes("four"));
    assertStrictEquals(await exited(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      ...packetLines("127.0.0.1", 4, "four"),
    ]);
  },
});

Deno.test({
  name: "listener -6 drops IPv4 datagrams (-v says so) and shows IPv6 ones",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-6", "-v", "-p", "0"]);
    await send(run.port, bytes("four"));
    await run.stderr.waitFor(/dropped/);
    await send(run.port, bytes("six"), "::1");
    assertStrictEquals(await exited(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      ...packetLines("::1", 3, "six"),
    ]);
    assertEquals(run.stderr.lines, [
      `listener: listening on [::]:${run.port}`,
      "listener: dropped 4 bytes from 127.0.0.1",
    ]);
  },
});

Deno.test("listener -v names the bound address for a non-zero port", async () => {
  const port = freeUdpPort("::");
  const run = await start(["-v", "-p", `${port}`]);
  assertStrictEquals(run.port, port);
  await send(port, bytes("x"));
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stderr.lines, [`listener: listening on [::]:${port}`]);
});

Deno.test("listener without -v prints nothing on stderr for a non-zero port", async () => {
  const port = freeUdpPort("::");
  const run = runInProcess(main, ["-p", `${port}`]);
  await run.stdout.waitFor(/^listener: waiting/);
  await send(port, bytes("x"));
  assertStrictEquals(await exited(run), 0);
  assertStrictEquals(run.stderr.text, "");
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines("127.0.0.1", 1, "x"),
  ]);
});

Deno.test("listener -h prints usage on stdout, exit 0", async () => {
  for (const flag of ["-h", "--help"]) {
    const run = runInProcess(main, [flag]);
    assertStrictEquals(await run.code, 0);
    assertMatch(run.stdout.lines[0]!, /^usage: listener/);
    assertMatch(run.stdout.text, /--count/);
    assertStrictEquals(run.stderr.text, "");
  }
});

Deno.test("listener -V prints one version line, exit 0", async () => {
  for (const flag of ["-V", "--version"]) {
    const run = runInProcess(main, [flag]);
    assertStrictEquals(await run.code, 0);
    assertEquals(run.stdout.lines, [
      `listener (beejnet) ${VERSION} (deno ${Deno.version.deno})`,
    ]);
    assertStrictEquals(run.stderr.text, "");
  }
});

/** Bad command lines, each with the one line it must print. */
const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus"], /^listener: unknown option "--bogus"$/],
  [["-z"], /^listener: unknown option "-z"$/],
  [["-p"], /^listener: option "-p" needs a value$/],
  [["-p", "65536"], /^listener: invalid port "65536": must be 0-65535$/],
  [["-p", "-1"], /^listener: invalid port "-1"/],
  [["-p", "4950x"], /^listener: invalid port "4950x"/],
  [
    ["--keep", "--count", "2"],
    /^listener: options "--keep" and "--count" cannot be used together$/,
  ],
  [["--count", "0"], /^listener: invalid count "0"/],
  [["-c", "x"], /^listener: invalid count "x"/],
  [["-4", "-6"], /^listener: options "-4" and "-6" cannot be used together$/],
  [["extra"], /^listener: unexpected argument "extra"$/],
  [["-b", ""], /^listener: invalid bind address: empty$/],
  // -b is checked as client and talker check a host, one escaped line.
  [["-b", "a b"], /^listener: invalid host "a b": not a host name$/],
  [
    ["-b", "1.2.3.4:5"],
    /^listener: invalid host "1\.2\.3\.4:5": not a name or address; give the port with --port$/,
  ],
  [["-b", "::1%"], /^listener: invalid host "::1%": not a name or address/],
  [["-b", "*"], /^listener: invalid host "\*": not a host name$/],
  [["-b", "a\nb"], /^listener: invalid host "a\\nb": not a host name$/],
  [
    ["-b", "\x1b[31mred"],
    /^listener: invalid host "\\x1b\[31mred": not a host name$/,
  ],
  [["--stats"], /^listener: option "--stats" needs "--count" or "--keep"$/],
  [
    ["-c", "5", "--stats-interval", "1"],
    /^listener: option "--stats-interval" needs "--stats"$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "0"],
    /^listener: invalid stats interval "0": must be positive: at least 0\.001 and at most 86400 seconds$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "soon"],
    /^listener: invalid stats interval "soon": not a plain number of seconds \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "0.0001"],
    /^listener: invalid stats interval "0\.0001": must be at least 0\.001 and at most 86400 seconds$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "1e6"],
    /^listener: invalid stats interval "1e6": not a plain number of seconds \(such as 2 or 0\.5\)$/,
  ],
  [["-k", "--stats=yes"], /^listener: option "--stats" takes no value/],
  [
    ["-k", "--stats-interval"],
    /^listener: option "--stats-interval" needs a value$/,
  ],
];

Deno.test("parseListener() refuses bad input, each with the one line to print", () => {
  for (const [args, expected] of BAD_INPUT) {
    const what = `listener ${JSON.stringify(args)}`;
    assertMatch(refusedLine("listener", parseListener, args), expected, what);
  }
});

Deno.test("listener -b with a name that does not resolve: getaddrinfo line, exit 1", async () => {
  const run = runInProcess(main, ["-b", "nonexistent.invalid", "-p", "0"]);
  assertStrictEquals(await exited(run), 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "getaddrinfo: Name or service not known",
  ]);
});

// ---------------------------------------------------------------------------
// --stats: numbered datagrams counted per sender

/** A socket that sends numbered datagrams to the listener, `using` closes it. */
function numberedSender(): Deno.DatagramConn & Disposable & {
  port: number;
  sendSeq(
    to: number,
    seq: number,
    options?: { payload?: string; sentAt?: number },
  ): Promise<void>;
} {
  const socket = closing(udpSocket("127.0.0.1"));
  return Object.assign(socket, {
    port: (socket.addr as Deno.NetAddr).port,
    async sendSeq(
      to: number,
      seq: number,
      options: { payload?: string; sentAt?: number } = {},
    ): Promise<void> {
      const data = numberedDatagram(
        { seq, sentAt: options.sentAt ?? wallClock() },
        bytes(options.payload ?? ""),
      );
      await deadline(
        socket.send(data, {
          transport: "udp",
          hostname: "127.0.0.1",
          port: to,
        }),
        "a datagram to be sent",
      );
    },
  });
}

/** A report line's numbers: `received 4   lost 1 (20.00%)   ...` → [4, 1, ...]. */
function counts(line: string | undefined): number[] {
  const match = line?.match(
    /^listener: {3}received (\d+) {3}lost (\d+) \([\d.]+%\) {3}reordered (\d+) {3}duplicated (\d+)$/,
  );
  assert(match, `not a counts line: ${line}`);
  return match.slice(1).map(Number);
}

const DELAY =
  /^listener: {3}delay {4}min (-?\d+\.\d{3}) {3}median (-?\d+\.\d{3}) {3}max (-?\d+\.\d{3}) ms$/;
const JITTER = /^listener: {3}jitter {3}(\d+\.\d{3}) ms \(RFC 3550\)$/;

Deno.test("parseListener() takes --stats with --count or --keep, and --stats-interval in ms", () => {
  const plain = parseListener(["-k"]) as ListenerConfig;
  assertEquals([plain.stats, plain.statsInterval], [false, undefined]);
  const counted = parseListener(["-c", "9", "--stats"]) as ListenerConfig;
  assertEquals([counted.stats, counted.count], [true, 9]);
  const every = parseListener(
    ["-k", "--stats", "--stats-interval", "2.5"],
  ) as ListenerConfig;
  assertEquals([every.stats, every.statsInterval], [true, 2500]);
});

Deno.test("listener --stats counts each sender's received, lost, reordered and duplicated, and reports at the end", async () => {
  const run = await start(["-p", "0", "-c", "9", "--stats", "-q"]);
  using a = numberedSender();
  using b = numberedSender();
  // a: 0 2 1 2 4 → 1 late, 2 twice, 3 missing. b: 1 → 0 missing.
  for (const seq of [0, 2, 1, 2, 4]) await a.sendSeq(run.port, seq);
  await b.sendSeq(run.port, 1);
  await send(run.port, bytes("plain one"));
  await send(run.port, bytes("plain two"));
  await a.sendSeq(run.port, 5);
  assertStrictEquals(await exited(run), 0);
  const lines = run.stdout.lines;
  assertMatch(lines[0]!, /^listener: final report after \d+\.\d{2} s$/);
  assertEquals(lines[1], `listener: 127.0.0.1 port ${a.port}, numbered 0-5`);
  assertEquals(counts(lines[2]), [6, 1, 1, 1]);
  assertMatch(lines[3]!, DELAY);
  assertMatch(lines[4]!, JITTER);
  assertEquals(lines[5], `listener: 127.0.0.1 port ${b.port}, numbered 0-1`);
  assertEquals(counts(lines[6]), [1, 1, 0, 0]);
  assertMatch(lines[7]!, DELAY);
  assertMatch(lines[8]!, JITTER);
  assertEquals(lines.slice(9), ["listener: 2 plain datagrams (not numbered)"]);
});

Deno.test("listener --stats reports one-way delay min/median/max and RFC 3550 jitter from the send times", async () => {
  const run = await start(["-p", "0", "-c", "3", "--stats", "-q"]);
  using a = numberedSender();
  // Transit times about 1000, 1100 and 1000 ms: jitter 100/16, then
  // 100/16 + (100 - 100/16)/16 = 12.109 ms (the arrivals themselves are
  // sub-millisecond apart, hence the margin).
  const now = wallClock();
  for (const [seq, late] of [[0, 1000], [1, 1100], [2, 1000]]) {
    await a.sendSeq(run.port, seq!, { sentAt: now - late! });
  }
  assertStrictEquals(await exited(run), 0);
  const delay = run.stdout.lines[3]!.match(DELAY)!.slice(1).map(Number);
  assert(delay[0]! >= 1000 && delay[0]! < 1100, `min ${delay[0]}`);
  assert(delay[1]! >= delay[0]! && delay[1]! < 1100, `median ${delay[1]}`);
  assert(delay[2]! >= 1100 && delay[2]! < 1200, `max ${delay[2]}`);
  const jitter = Number(run.stdout.lines[4]!.match(JITTER)![1]);
  assert(Math.abs(jitter - 12.109) < 3, `jitter ${jitter}`);
});

Deno.test("listener --stats shows a numbered datagram with its number and payload, a plain one as the guide does", async () => {
  const run = await start(["-p", "0", "-c", "2", "--stats"]);
  using a = numberedSender();
  await a.sendSeq(run.port, 7, { payload: "hello" });
  await send(run.port, bytes("plain"));
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines.slice(0, 7), [
    WAITING,
    "listener: got packet 7 from 127.0.0.1",
    "listener: packet is 25 bytes long",
    'listener: packet contains "hello" after the 20-byte header',
    ...packetLines("127.0.0.1", 5, "plain"),
  ]);
  assertMatch(run.stdout.lines[7]!, /^listener: final report after/);
  assertEquals(counts(run.stdout.lines[9]), [1, 7, 0, 0]);
});

Deno.test("listener --stats -x dumps a numbered datagram whole, header included", async () => {
  const run = await start(["-p", "0", "-c", "1", "--stats", "-x"]);
  using a = numberedSender();
  await a.sendSeq(run.port, 0, { payload: "hi", sentAt: 0 });
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines.slice(0, 5), [
    WAITING,
    "listener: got packet 0 from 127.0.0.1",
    "listener: packet is 22 bytes long",
    "00000000  be e7 da 7a 01 14 00 00  00 00 00 00 00 00 00 00  |...z............|",
    "00000010  00 00 00 00 68 69                                 |....hi|",
  ]);
});

Deno.test("listener --quiet --stats prints only the report", async () => {
  const run = await start(["-p", "0", "-c", "2", "--stats", "--quiet"]);
  using a = numberedSender();
  await a.sendSeq(run.port, 0);
  await a.sendSeq(run.port, 1);
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines.length, 5);
  assertMatch(run.stdout.lines[0]!, /^listener: final report after/);
  assertEquals(counts(run.stdout.lines[2]), [2, 0, 0, 0]);
  assertEquals(run.stderr.lines, [`listener: listening on [::]:${run.port}`]);
});

Deno.test("listener --quiet --stats with no numbered datagram says so", async () => {
  const run = await start(["-p", "0", "-c", "1", "--stats", "-q"]);
  await send(run.port, bytes("plain"));
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines.slice(1), [
    "listener: no numbered datagrams",
    "listener: 1 plain datagram (not numbered)",
  ]);
});

Deno.test("listener --json --stats carries the report as one stats event, the datagrams with seq", async () => {
  const run = await start(["-p", "0", "-c", "3", "--stats", "--json"]);
  using a = numberedSender();
  const sentAt = wallClock() - 5;
  await a.sendSeq(run.port, 0, { payload: "x", sentAt });
  await a.sendSeq(run.port, 2, { payload: "y", sentAt });
  await send(run.port, bytes("plain"));
  assertStrictEquals(await exited(run), 0);
  const events = run.stdout.lines.map((line) => JSON.parse(line));
  assertEquals(events.map((e) => e.event), [
    "listening",
    "datagram",
    "datagram",
    "datagram",
    "stats",
  ]);
  assertEquals(events[1], {
    event: "datagram",
    address: "127.0.0.1",
    port: a.port,
    bytes: 21,
    seq: 0,
    sent: events[1].sent,
    text: "x",
  });
  assert(Math.abs(events[1].sent - sentAt) < 0.001);
  assertEquals(events[3].seq, undefined, "a plain datagram has no seq");
  const stats = events[4];
  assertEquals(Object.keys(stats), [
    "event",
    "final",
    "seconds",
    "plain",
    "untracked",
    "senders",
  ]);
  assertEquals([stats.final, stats.plain, stats.untracked], [true, 1, 0]);
  const [sender] = stats.senders;
  assertEquals(
    { ...sender, delay: undefined, jitter: undefined },
    {
      address: "127.0.0.1",
      port: a.port,
      received: 2,
      lost: 1,
      reordered: 0,
      duplicated: 0,
      highest: 2,
      approximate: false,
      delay: undefined,
      clocksDiffer: false,
      jitter: undefined,
    },
  );
  assert(sender.delay.min >= 5 && sender.delay.max >= sender.delay.min);
  assert(sender.jitter >= 0);
});

/**
 * A stdout whose reader has stalled: each write waits until `resume()`, as
 * a pipe's reader that stopped reading.
 */
class StalledStdout {
  #text = "";
  readonly #resumed = Promise.withResolvers<void>();
  writeSync(p: Uint8Array): number {
    this.#text += new TextDecoder().decode(p);
    return p.length;
  }
  async write(p: Uint8Array): Promise<number> {
    await this.#resumed.promise;
    return this.writeSync(p);
  }
  isTerminal(): boolean {
    return false;
  }
  resume(): void {
    this.#resumed.resolve();
  }
  get lines(): string[] {
    return this.#text.split("\n").slice(0, -1);
  }
}

Deno.test("listener --stats behind a stalled reader: datagram lines dropped and counted as lines, the final report kept", async () => {
  const stdout = new StalledStdout();
  const run = runInProcess(
    main,
    ["-p", "0", "-b", "127.0.0.1", "-k", "--stats"],
    { stdout },
  );
  const port = await listeningPort(run.stderr);
  // About 8 KiB of lines a datagram: 1,500 of them overflow the 8 MiB the
  // listener keeps behind the write in flight; then 400 empty ones, of
  // about 130 bytes of lines each, fill what room is left, less than a
  // report's.
  using sender = numberedSender();
  const big = "y".repeat(8_000);
  const sending = (async () => {
    for (let seq = 0; seq < 1_900; seq++) {
      await sender.sendSeq(port, seq, { payload: seq < 1_500 ? big : "" });
      // A turn of the event loop for the listener to receive: its socket
      // buffer holds a dozen such datagrams.
      if (seq % 4 === 3) await new Promise((wake) => setTimeout(wake, 0));
    }
  })();
  await deadline(sending, "1,900 datagrams to be sent");
  run.controller.abort();
  // The reader stays stalled a moment after the stop, as in a pipe whose
  // reader is busy: the report is queued behind a full backlog.
  await new Promise((resolve) => setTimeout(resolve, 100));
  stdout.resume();
  assertStrictEquals(await exited(run), 0);
  const lines = stdout.lines;
  const report = lines.findIndex((l) => /^listener: final report/.test(l));
  assert(report > 0, "no final report");
  assertEquals(lines.length, report + 5, lines.slice(report).join("\n"));
  const [received] = counts(lines[report + 2]);
  const printed = lines.slice(1, report);
  assert(printed.every((l) => /^listener: (got packet|packet )/.test(l)));
  const dropped = run.stderr.lines
    .map((l) => l.match(/^listener: stdout: (\d+) lines dropped: /)?.[1])
    .filter((n) => n !== undefined)
    .reduce((sum, n) => sum + Number(n), 0);
  assert(dropped > 0, run.stderr.text);
  assertStrictEquals(printed.length + dropped, 3 * received!);
});

/** A sender's report as the library gives it, with `fields` changed. */
function senderReport(fields: Partial<SenderReport> = {}): SenderReport {
  return {
    hostname: "127.0.0.1",
    port: 4000,
    received: 3,
    lost: 1,
    reordered: 0,
    duplicated: 0,
    highest: 3,
    approximate: false,
    delay: { min: 0.5, median: 1, max: 2 },
    jitter: 0.25,
    // A version-1 sender's: no end marked.
    endMarked: false,
    ended: false,
    expected: undefined,
    planned: undefined,
    cutShort: false,
    lostAtEnd: 0,
    ...fields,
  };
}

const CONTEXT = { seconds: 1, plain: 0, untracked: 0, final: true };

Deno.test("reportLines() and reportFields() say when the counts became approximate", () => {
  const exact = reportLines("listener", [senderReport()], CONTEXT);
  assert(!exact.some((line) => /approximate/.test(line)), exact.join("\n"));
  const lines = reportLines(
    "listener",
    [senderReport({ approximate: true })],
    CONTEXT,
  );
  assertEquals(
    lines[3],
    "listener:   counts approximate: the oldest missing numbers were forgotten",
  );
  const fields = reportFields([senderReport({ approximate: true })], CONTEXT);
  assertEquals(
    (fields.senders as Record<string, unknown>[])[0]!.approximate,
    true,
  );
});

Deno.test("reportLines() and reportFields() say the clocks differ when a delay is below 0", () => {
  const ahead = senderReport({
    delay: { min: -3599476.198, median: 1, max: 2 },
  });
  const lines = reportLines("listener", [ahead], CONTEXT);
  assertEquals(lines.slice(3, 5), [
    "listener:   delay    min -3599476.198   median 1.000   max 2.000 ms",
    "listener:   delay below 0: the clocks differ; delay is only meaningful on one host",
  ]);
  const same = reportLines("listener", [senderReport()], CONTEXT);
  assert(!same.some((line) => /clocks differ/.test(line)), same.join("\n"));
  const field = (report: SenderReport): unknown =>
    (reportFields([report], CONTEXT).senders as Record<string, unknown>[])[0]!
      .clocksDiffer;
  assertEquals([field(ahead), field(senderReport())], [true, false]);
});

Deno.test("listener --stats-interval reports while it runs, then at the end", async () => {
  const run = await start([
    "-p",
    "0",
    "-k",
    "--stats",
    "-q",
    "--stats-interval",
    "0.05",
  ]);
  using a = numberedSender();
  await a.sendSeq(run.port, 0);
  await run.stdout.waitFor(/^listener: report after/);
  await a.sendSeq(run.port, 3);
  await run.stdout.waitFor(/received 2 /);
  run.controller.abort();
  assertStrictEquals(await exited(run), 0);
  const headings = run.stdout.lines.filter((l) => /report after/.test(l));
  assert(headings.length >= 3, headings.join("\n"));
  assertMatch(headings.at(-1)!, /^listener: final report/);
  assert(headings.slice(0, -1).every((l) => l.startsWith("listener: report")));
  assertEquals(counts(run.stdout.lines.at(-3)), [2, 2, 0, 0]);
});

Deno.test("listener without --stats shows a numbered datagram as any other, byte for byte", async () => {
  const run = await start(["-p", "0"]);
  using a = numberedSender();
  await a.sendSeq(run.port, 1, { payload: "hi", sentAt: 0 });
  assertStrictEquals(await exited(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    ...packetLines(
      "127.0.0.1",
      22,
      "\\xbe\\xe7\\xdaz\\x01\\x14\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00hi",
    ),
  ]);
});

// ---------------------------------------------------------------------------
// As a process

Deno.test({
  name: "listener (process) takes one datagram and exits 0",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using listener = TestProcess.tool("listener", ["-p", "0"]);
    const port = await listeningPort(listener.stderr);
    await listener.stdout.waitFor(/^listener: waiting/);
    await send(port, bytes("DATA"));
    assertStrictEquals(await listener.exit(), 0);
    assertEquals(listener.stdout.lines, [
      WAITING,
      ...packetLines("127.0.0.1", 4, "DATA"),
    ]);
    assertEquals(listener.stderr.lines, [
      `listener: listening on [::]:${port}`,
    ]);
  },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `listener (process) -k stops on ${signal}, exit 0`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      await using listener = TestProcess.tool("listener", ["-k", "-p", "0"]);
      const port = await listeningPort(listener.stderr);
      for (const text of ["a", "b"]) {
        await send(port, bytes(text));
        await listener.stdout.waitFor(new RegExp(`contains "${text}"`));
      }
      listener.kill(signal);
      assertStrictEquals(await listener.exit(), 0);
      assertEquals(listener.stdout.lines, [
        WAITING,
        ...packetLines("127.0.0.1", 1, "a"),
        ...packetLines("127.0.0.1", 1, "b"),
      ]);
      assertNoStack(listener.stderr.text);
      assertEquals(listener.stderr.lines, [
        `listener: listening on [::]:${port}`,
      ]);
    },
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `listener (process) -k --stats reports at ${signal}, exit 0`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      await using listener = TestProcess.tool("listener", [
        "-k",
        "--stats",
        "-q",
        "--stats-interval",
        "0.05",
        "-p",
        "0",
      ]);
      const port = await listeningPort(listener.stderr);
      using a = numberedSender();
      for (const seq of [0, 1, 3]) await a.sendSeq(port, seq);
      // No line per datagram to wait for: a report that counted all three.
      await listener.stdout.waitFor(/received 3 /);
      listener.kill(signal);
      assertStrictEquals(await listener.exit(), 0);
      const all = listener.stdout.lines;
      const lines = all.slice(all.findIndex((l) => /final report/.test(l)));
      assertMatch(lines[0]!, /^listener: final report after/);
      assertEquals(
        lines[1],
        `listener: 127.0.0.1 port ${a.port}, numbered 0-3`,
      );
      assertEquals(counts(lines[2]), [3, 1, 0, 0]);
      assertNoStack(listener.stderr.text);
    },
  });
}

Deno.test({
  name: "listener (process) -c --stats stopped early reports too, exit 130",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using listener = TestProcess.tool("listener", [
      "-c",
      "10",
      "--stats",
      "-p",
      "0",
    ]);
    const port = await listeningPort(listener.stderr);
    using a = numberedSender();
    await a.sendSeq(port, 0, { payload: "one" });
    await listener.stdout.waitFor(/contains "one"/);
    listener.kill("SIGINT");
    assertStrictEquals(await listener.exit(), 130);
    assertMatch(listener.stdout.lines[4]!, /^listener: final report after/);
    assertEquals(counts(listener.stdout.lines[6]), [1, 0, 0, 0]);
  },
});

Deno.test({
  name: "listener (process) cannot bind: exit 2",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using taken = closing(udpSocket("127.0.0.1"));
    const { port } = taken.addr as Deno.NetAddr;
    const result = await runTool("listener", [
      "-b",
      "127.0.0.1",
      "-p",
      `${port}`,
    ]);
    assertStrictEquals(result.code, 2);
    assertStrictEquals(result.stdout, "");
    assertStrictEquals(
      result.stderr,
      "listener: bind: Address already in use\nlistener: failed to bind socket\n",
    );
  },
});

Deno.test({
  name: "listener (process) bad input: one line, exit 1, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    for (const [args, expected] of BAD_INPUT.slice(0, 9)) {
      const result = await runTool("listener", args);
      assertOneLineFailure(
        result,
        expected,
        `listener ${JSON.stringify(args)}`,
      );
    }
  },
});

Deno.test({
  name:
    "listener (process) without --allow-net: one line naming --allow-net, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const result = await runTool("listener", ["-p", "0"], {
      permissions: ["--allow-net=10.9.9.9"],
    });
    assertStrictEquals(result.code, 1);
    assertStrictEquals(result.stdout, "");
    assertNoStack(result.stderr);
    assertMatch(
      result.stderr,
      /^listener: permission denied: .*--allow-net.*\n$/,
    );
  },
});
