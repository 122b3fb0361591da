/**
 * End-to-end tests of `listener --stats` (cmd/listener.ts): numbered
 * datagrams counted per sender, the reports, their lines and JSON event, and
 * a numbered datagram shown without --stats. In process, as
 * tests/listener_test.ts runs them.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { type ListenerConfig, parseListener } from "../cmd/_listener.ts";
import { reportFields, reportLines } from "../cmd/_stats.ts";
import type { SenderReport } from "../lib/datagram_stats.ts";
import { wallClock } from "../lib/numbered_datagram.ts";
import { bytes } from "./_util.ts";
import {
  counts,
  exited,
  numberedSender,
  packetLines,
  send,
  start,
  WAITING,
} from "./_listener.ts";

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
