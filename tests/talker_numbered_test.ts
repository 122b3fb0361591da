/**
 * End-to-end tests of `talker`'s numbered datagrams (cmd/talker.ts): `-c`,
 * `-r`, `--interval`, `--seq` and `-s`, their closing line and JSON summary,
 * in process as tests/talker_test.ts runs the guide's one datagram.
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
import { parseTalker, runTalker, type TalkerConfig } from "../cmd/_talker.ts";
import { readNumberedHeader } from "../lib/numbered_datagram.ts";
import { failingSends } from "./_relay.ts";
import { bytes, deadline, runInProcess } from "./_util.ts";
import { portOf, receive, receiver, talker } from "./_talker.ts";

// ---------------------------------------------------------------------------
// Numbered datagrams: -c, -r, --interval, --seq, -s

Deno.test("talker -c 2 names the numbered datagram's size when it is too large, never the message's as another", async () => {
  using socket = receiver();
  const port = `${portOf(socket)}`;
  // A 1-byte message padded to 65,508 bytes by -s.
  const padded = await talker([
    "-c",
    "2",
    "-s",
    "65508",
    "-p",
    port,
    "127.0.0.1",
    "x",
  ]);
  assertStrictEquals(padded.code, 1);
  assertStrictEquals(padded.run.stdout.text, "");
  assertEquals(padded.run.stderr.lines, [
    "talker: datagram would be 65508 bytes (20-byte header + message + padding): at most 65507 fit in one IPv4 datagram",
  ]);
  // 65,490 bytes on stdin, 65,510 with the header.
  const piped = await talker(
    ["-c", "2", "-p", port, "127.0.0.1", "-"],
    [new Uint8Array(65_490)],
  );
  assertStrictEquals(piped.code, 1);
  assertEquals(piped.run.stderr.lines, [
    "talker: datagram would be 65510 bytes (20-byte header + message): at most 65507 fit in one IPv4 datagram",
  ]);
});

/** Receive `n` datagrams within the deadline; their headers and payloads. */
async function receiveNumbered(
  socket: Deno.DatagramConn,
  n: number,
): Promise<{ seq?: number; data: Uint8Array; port: number }[]> {
  const got = [];
  for (let i = 0; i < n; i++) {
    const [data, from] = await receive(socket);
    got.push({ seq: readNumberedHeader(data)?.seq, data, port: from.port });
  }
  return got;
}

/** The closing line of a numbered run, with its variable parts as patterns. */
const CLOSING =
  /^talker: sent (\d+) datagrams? of (\d+) bytes to 127\.0\.0\.1(?: in (\d+\.\d{3} s|[\d.]+ ms) \(([\d.]+)\/s\))?, (\d+) failed(?: \(stopped after (\d+) of (\d+)\))?$/;

Deno.test("parseTalker() keeps the guide's one datagram by default, numbers with -c above 1 or --seq", () => {
  const plain = parseTalker(["h", "m"]) as TalkerConfig;
  assertEquals([plain.count, plain.numbered, plain.interval, plain.size], [
    1,
    false,
    1000,
    undefined,
  ]);
  const counted = parseTalker(["-c", "5", "h", "m"]) as TalkerConfig;
  assertEquals([counted.count, counted.numbered], [5, true]);
  assertEquals(
    (parseTalker(["-c", "1", "h", "m"]) as TalkerConfig).numbered,
    false,
  );
  const seq = parseTalker(["--seq", "h", "m"]) as TalkerConfig;
  assertEquals([seq.count, seq.numbered], [1, true]);
  assertEquals(
    (parseTalker(["--count=4294967296", "h", "m"]) as TalkerConfig).count,
    2 ** 32,
  );
});

Deno.test("parseTalker() turns -r R and -i SECONDS into the interval in ms", () => {
  const interval = (...args: string[]): number | undefined =>
    (parseTalker([...args, "-c", "2", "h", "m"]) as TalkerConfig).interval;
  assertEquals(interval(), 1000);
  assertEquals(interval("-r", "200"), 5);
  assertEquals(interval("--rate", "0.5"), 2000);
  assertEquals(interval("-r", "20000"), 0.05);
  assertEquals(interval("--interval", "0.25"), 250);
  assertEquals(interval("--interval", "0"), 0);
  assertEquals(interval("--interval", ".5"), 500);
  // The slowest rate, one a day, is the longest --interval.
  assertEquals(interval("--interval", "86400"), 86_400_000);
  assert(interval("-r", "0.0000115741")! <= 86_400_000);
});

Deno.test("parseTalker() takes -s BYTES for numbered datagrams, 20 to 65527", () => {
  const size = (...args: string[]): number | undefined =>
    (parseTalker(args) as TalkerConfig).size;
  assertEquals(size("--seq", "-s", "20", "h", ""), 20);
  assertEquals(size("--seq", "-s", "21", "h", "m"), 21);
  assertEquals(size("-c", "2", "--size", "1400", "h", "m"), 1400);
  assertEquals(size("--seq", "-s", "65527", "h", "m"), 65_527);
  assertEquals(
    size("--seq", "-s", "20", "h", "-"),
    20,
    "stdin: checked when read",
  );
  assertEquals(size("--seq", "h", "m"), undefined);
});

Deno.test("talker -c 5 sends five numbered datagrams from one socket and one closing line", async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "-c",
    "5",
    "--interval",
    "0",
    "127.0.0.1",
    "hello",
  ]);
  assertStrictEquals(code, 0);
  assertStrictEquals(run.stdout.lines.length, 1);
  const match = run.stdout.lines[0]!.match(CLOSING);
  assert(match, run.stdout.lines[0]);
  assertEquals([match[1], match[2], match[5], match[6]], [
    "5",
    "25",
    "0",
    undefined,
  ]);
  assertStrictEquals(run.stderr.text, "");
  const got = await receiveNumbered(socket, 5);
  assertEquals(got.map((d) => d.seq), [0, 1, 2, 3, 4]);
  assertEquals(new Set(got.map((d) => d.port)).size, 1);
  for (const { data } of got) assertEquals(data.subarray(20), bytes("hello"));
});

Deno.test("talker --seq numbers a single datagram; its closing line has no rate", async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "--seq",
    "127.0.0.1",
    "hi",
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "talker: sent 1 datagram of 22 bytes to 127.0.0.1, 0 failed",
  ]);
  const [got] = await receiveNumbered(socket, 1);
  assertEquals(got!.seq, 0);
  assertEquals(got!.data.subarray(20), bytes("hi"));
});

Deno.test("talker -s pads each numbered datagram to the size, header included", async () => {
  using socket = receiver();
  const { code, run } = await talker([
    "-p",
    `${portOf(socket)}`,
    "-c",
    "2",
    "--interval",
    "0",
    "-s",
    "64",
    "127.0.0.1",
    "pad",
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines[0]!.match(CLOSING)?.[2], "64");
  for (const { data } of await receiveNumbered(socket, 2)) {
    assertStrictEquals(data.length, 64);
    assertEquals(data.subarray(20, 23), bytes("pad"));
    assertEquals(data.subarray(23), new Uint8Array(41));
  }
});

Deno.test("talker -r and -i pace the datagrams on their schedule, never faster", async () => {
  for (const pacing of [["-r", "50"], ["--interval", "0.02"]]) {
    using socket = receiver();
    const { code, run } = await talker([
      "-p",
      `${portOf(socket)}`,
      "-c",
      "4",
      ...pacing,
      "--json",
      "127.0.0.1",
      "x",
    ]);
    assertStrictEquals(code, 0, pacing.join(" "));
    const summary = JSON.parse(run.stdout.lines.at(-1)!);
    // 3 intervals of 20 ms: never less; and far from the 1 s default's 3 s.
    assert(summary.seconds >= 0.06, `${pacing}: ${summary.seconds} s`);
    assert(summary.seconds < 1.5, `${pacing}: ${summary.seconds} s`);
    assert(summary.rate <= 50.001, `${pacing}: ${summary.rate}/s`);
    await receiveNumbered(socket, 4);
  }
});

Deno.test("talker --json -c carries the run as one summary event", async () => {
  using socket = receiver();
  const port = portOf(socket);
  const { code, run } = await talker([
    "-p",
    `${port}`,
    "-c",
    "3",
    "--interval",
    "0",
    "--json",
    "127.0.0.1",
    "abc",
  ]);
  assertStrictEquals(code, 0);
  assertStrictEquals(run.stdout.lines.length, 1);
  const summary = JSON.parse(run.stdout.lines[0]!);
  assertEquals(
    { ...summary, seconds: 0, rate: 0 },
    {
      event: "summary",
      address: "127.0.0.1",
      port,
      datagrams: 3,
      bytes: 23,
      sent: 3,
      failed: 0,
      seconds: 0,
      rate: 0,
      stopped: false,
    },
  );
  await receiveNumbered(socket, 3);
});

Deno.test("talker -c says a run under a second in ms, and JSON carries no float noise", async () => {
  using socket = receiver();
  const port = portOf(socket);
  const args = ["-p", `${port}`, "-c", "2", "--interval", "0", "127.0.0.1"];
  const text = await talker([...args, "x"]);
  assertStrictEquals(text.code, 0);
  // Never "in 0.000 s": the time of a fast run is in ms.
  assertMatch(
    text.run.stdout.text,
    /^talker: sent 2 datagrams of 21 bytes to 127\.0\.0\.1 in [0-9.]+ ms \([0-9.]+\/s\), 0 failed\n$/,
  );
  const json = await talker([...args, "--json", "x"]);
  const summary = JSON.parse(json.run.stdout.lines.at(-1)!);
  // To the microsecond and the thousandth, as written.
  assertStrictEquals(summary.seconds, Math.round(summary.seconds * 1e6) / 1e6);
  assertStrictEquals(summary.rate, Math.round(summary.rate * 1e3) / 1e3);
  await receiveNumbered(socket, 4);
});

Deno.test("talker -c counts sends that fail with ENOBUFS, names the reason once, goes on", async () => {
  using socket = receiver();
  let result;
  {
    using _failing = failingSends(2); // sends 0 and 2 of 4 fail
    result = await talker([
      "-p",
      `${portOf(socket)}`,
      "-c",
      "4",
      "--interval",
      "0",
      "127.0.0.1",
      "x",
    ]);
  }
  const { code, run } = result;
  assertStrictEquals(code, 0);
  assertEquals(run.stderr.lines, [
    "talker: sendto: No buffer space available",
  ]);
  const match = run.stdout.lines[0]!.match(CLOSING);
  assertEquals([match?.[1], match?.[5]], ["2", "2"]);
  assertEquals((await receiveNumbered(socket, 2)).map((d) => d.seq), [1, 3]);
});

Deno.test("talker -c stopped by a signal closes with what it did, exit 130", async () => {
  using socket = receiver();
  const run = runInProcess(main, [
    "-p",
    `${portOf(socket)}`,
    "-c",
    "1000",
    "--interval",
    "0.005",
    "127.0.0.1",
    "x",
  ]);
  await receiveNumbered(socket, 3);
  run.controller.abort();
  assertStrictEquals(await deadline(run.code, "the talker to stop"), 130);
  const match = run.stdout.lines[0]!.match(CLOSING);
  assert(match, run.stdout.text);
  assertStrictEquals(match[7], "1000");
  assertStrictEquals(match[6], match[1], "every attempt sent");
});

Deno.test("talker -c -v says once where the datagrams go", async () => {
  using socket = receiver();
  const port = portOf(socket);
  const { code, run } = await talker([
    "-p",
    `${port}`,
    "-c",
    "3",
    "--interval",
    "0",
    "-v",
    "127.0.0.1",
    "x",
  ]);
  assertStrictEquals(code, 0);
  assertEquals(run.stderr.lines, [`talker: sent to 127.0.0.1 port ${port}`]);
  await receiveNumbered(socket, 3);
});

Deno.test("talker -c - reads MESSAGE from stdin, and refuses one that does not fit -s", async () => {
  using socket = receiver();
  const ok = await talker(
    ["-p", `${portOf(socket)}`, "-c", "2", "--interval", "0", "127.0.0.1", "-"],
    [bytes("piped")],
  );
  assertStrictEquals(ok.code, 0);
  for (const { data } of await receiveNumbered(socket, 2)) {
    assertEquals(data.subarray(20), bytes("piped"));
  }
  const { code, run } = await talker(
    ["-p", "9", "-c", "2", "-s", "24", "127.0.0.1", "-"],
    [bytes("piped")],
  );
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    'talker: message is 5 bytes: with the 20-byte header it does not fit "--size" 24',
  ]);
});

Deno.test("runTalker() with numbered datagrams reports a failed first send as the sendto line, exit 1", async () => {
  const run = runInProcess((_, io) =>
    runTalker({
      host: "127.0.0.1",
      message: "hi",
      port: 0,
      family: 0,
      count: 3,
      numbered: true,
      interval: 0,
      verbose: false,
      json: false,
      trace: false,
    }, io), []);
  assertStrictEquals(await deadline(run.code, "the talker"), 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, ["talker: sendto: Invalid argument"]);
});
