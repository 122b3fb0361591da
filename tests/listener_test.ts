/**
 * End-to-end tests of `listener` (cmd/listener.ts): Beej's datagram
 * "server" line for line by default, and each option beyond it. Most tests
 * run `main()` in process and send from sockets made here. `--stats` is in
 * tests/listener_stats_test.ts, the spawned process (signals, the
 * `import.meta.main` path) in tests/listener_process_test.ts, a stalled
 * stdout in tests/stalled_stdout_test.ts.
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
import { parseListener } from "../cmd/_listener.ts";
import {
  bytes,
  closing,
  freeUdpPort,
  NEEDS_IPV6,
  refusedLine,
  runInProcess,
  udpSocket,
  VERSION,
} from "./_util.ts";
import {
  BAD_INPUT,
  exited,
  packetLines,
  send,
  start,
  WAITING,
} from "./_listener.ts";

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
