/**
 * The guide's warning, measured: talker's numbered datagrams through the
 * lossy relay of tests/_relay.ts to `listener --stats`, whose counts must be
 * exactly what the relay did; and without the relay, 10,000 datagrams at
 * 20,000/s with none lost.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { main as listenerMain } from "../cmd/listener.ts";
import { main as talkerMain } from "../cmd/talker.ts";
import { expectedCounts, planImpairments, startRelay } from "./_relay.ts";
import {
  deadline,
  listeningPort,
  NEEDS_SPAWN,
  runInProcess,
  TestProcess,
} from "./_util.ts";

/** The `stats` event of a `listener --stats --json` run's output. */
function statsEvent(lines: readonly string[]): {
  final: boolean;
  plain: number;
  senders: Record<string, unknown>[];
} {
  const events = lines.map((line) => JSON.parse(line));
  const stats = events.filter((e) => e.event === "stats");
  assertStrictEquals(stats.length, 1, lines.join("\n"));
  return stats[0];
}

Deno.test("talker → lossy relay → listener --stats: the listener counts exactly what the relay did", async () => {
  const count = 300;
  const impairments = { drop: 12, duplicate: 7, reorder: 6, delay: 3 };
  const plan = planImpairments({
    seed: 4950,
    count,
    ...impairments,
    delayMs: 15,
  });
  const forwarded = count - impairments.drop + impairments.duplicate;

  const listener = runInProcess(listenerMain, [
    "-p",
    "0",
    "-b",
    "127.0.0.1",
    "-c",
    `${forwarded}`,
    "--stats",
    "--quiet",
    "--json",
  ]);
  const listenerPort = await listeningPort(listener.stderr);
  await using relay = startRelay(
    { transport: "udp", hostname: "127.0.0.1", port: listenerPort },
    plan,
  );
  const talker = runInProcess(talkerMain, [
    "-p",
    `${relay.addr.port}`,
    "-c",
    `${count}`,
    "-r",
    "2000",
    "127.0.0.1",
    "through the relay",
  ]);
  assertStrictEquals(await deadline(talker.code, "the talker"), 0);
  assertMatch(
    talker.stdout.text,
    /^talker: sent 300 datagrams of 37 bytes to 127\.0\.0\.1 in (?:\d+\.\d{3} s|[\d.]+ ms) \([\d.]+\/s\), 0 failed\n$/,
  );
  const log = await deadline(relay.finished, "the relay");
  assertStrictEquals(log.received, count, "nothing lost before the relay");
  assertStrictEquals(await deadline(listener.code, "the listener"), 0);

  const stats = statsEvent(listener.stdout.lines);
  assertEquals([stats.final, stats.plain, stats.senders.length], [true, 0, 1]);
  const sender = stats.senders[0]!;
  assertEquals([sender.address, sender.port], ["127.0.0.1", relay.addr.port]);
  const { received, lost, reordered, duplicated, highest } = sender;
  assertEquals(
    { received, lost, reordered, duplicated, highest },
    expectedCounts(log),
  );
  // And what the plan asked for: each impairment shows, once per datagram.
  assertEquals({ received, lost, reordered, duplicated, highest }, {
    received: forwarded,
    lost: impairments.drop,
    reordered: impairments.reorder,
    duplicated: impairments.duplicate,
    highest: count - 1,
  });
  const delay = sender.delay as { min: number; median: number; max: number };
  assert(delay.max >= 15, `the paused datagrams took ${delay.max} ms`);
  assert(
    delay.min >= 0 && delay.min <= delay.median && delay.median <= delay.max,
  );
  assert((sender.jitter as number) > 0, "pauses and holds make jitter");
});

/** One run of 10,000 datagrams at 20,000/s: the listener's counts. */
async function fullSpeedRun(): Promise<Record<string, unknown>> {
  await using listener = TestProcess.tool("listener", [
    "-p",
    "0",
    "-b",
    "127.0.0.1",
    "-c",
    "10000",
    "--stats",
    "--quiet",
    "--json",
  ]);
  const port = await listeningPort(listener.stderr);
  await using talker = TestProcess.tool("talker", [
    "-p",
    `${port}`,
    "-c",
    "10000",
    "-r",
    "20000",
    "127.0.0.1",
    "x",
  ]);
  assertStrictEquals(await talker.exit("the talker", 15_000), 0);
  const closing = talker.stdout.text.match(
    /^talker: sent 10000 datagrams of 21 bytes to 127\.0\.0\.1 in (\d+\.\d{3} s|[\d.]+ ms) \(([\d.]+)\/s\), 0 failed\n$/,
  );
  assert(closing, talker.stdout.text + talker.stderr.text);
  assert(Number(closing[2]) <= 20_001, `rate ${closing[2]}/s`);
  try {
    assertStrictEquals(
      await listener.exit("the listener's 10,000th datagram", 3_000),
      0,
    );
  } catch {
    // Some never came: stop it; its final report says how many.
    listener.kill("SIGINT");
    assertStrictEquals(await listener.exit(), 130);
  }
  return statsEvent(listener.stdout.lines).senders[0]!;
}

Deno.test({
  name:
    "talker -c 10000 -r 20000 to listener --stats without the relay: 0 lost",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    // Loopback loses nothing by itself, but a receiver descheduled for
    // longer than its socket buffer lasts (about 256 datagrams: 13 ms at
    // this rate) loses what comes meanwhile, and other work on a shared
    // machine can do that. As the bench redoes a trial that lost datagrams
    // under other work, a run that lost some is redone, at most twice, and
    // says so on stderr.
    let sender: Record<string, unknown> = {};
    for (let attempt = 1; attempt <= 3; attempt++) {
      sender = await fullSpeedRun();
      const counted = (sender.received as number) + (sender.lost as number);
      assertStrictEquals(counted, 10_000, "every datagram received or lost");
      if (sender.lost === 0) break;
      // deno-lint-ignore no-console
      console.error(
        `loss_test: run ${attempt} lost ${sender.lost} of 10,000 datagrams${
          attempt < 3 ? "; running again" : ""
        }`,
      );
    }
    assertEquals(
      [sender.received, sender.lost, sender.reordered, sender.duplicated],
      [10_000, 0, 0, 0],
    );
    assertStrictEquals(sender.highest, 9_999);
  },
});

Deno.test("talker → relay dropping the last two → listener --stats: the end marker shows the tail lost, in text and JSON", async () => {
  const count = 50;
  for (const json of [false, true]) {
    // The relay takes the run and its three end markers, and drops the
    // run's last two datagrams: a loss after the last arrival.
    const plan = {
      count: count + 3,
      actions: new Map([[count - 2, "drop"], [count - 1, "drop"]] as const),
      holdFor: 3,
      delayMs: 0,
    };
    const listener = runInProcess(listenerMain, [
      "-p",
      "0",
      "-b",
      "127.0.0.1",
      "-c",
      `${count - 2 + 3}`,
      "--stats",
      "--quiet",
      ...(json ? ["--json"] : []),
    ]);
    const listenerPort = await listeningPort(listener.stderr);
    await using relay = startRelay(
      { transport: "udp", hostname: "127.0.0.1", port: listenerPort },
      plan,
    );
    const talker = runInProcess(talkerMain, [
      "-p",
      `${relay.addr.port}`,
      "-c",
      `${count}`,
      "-r",
      "2000",
      "127.0.0.1",
      "tail",
    ]);
    assertStrictEquals(await deadline(talker.code, "the talker"), 0);
    await deadline(relay.finished, "the relay");
    assertStrictEquals(await deadline(listener.code, "the listener"), 0);
    if (json) {
      const sender = statsEvent(listener.stdout.lines).senders[0]!;
      const { received, lost, highest, ended, expected, planned } = sender;
      assertEquals({ received, lost, highest, ended, expected, planned }, {
        received: count - 2,
        lost: 2,
        highest: count - 3,
        ended: true,
        expected: count,
        planned: count,
      });
      assertEquals([sender.cutShort, sender.lostAtEnd], [false, 2]);
    } else {
      const lines = listener.stdout.lines;
      assertEquals(
        lines[1],
        `listener: 127.0.0.1 port ${relay.addr.port}, numbered 0-47`,
      );
      assertEquals(
        lines[2],
        "listener:   received 48   lost 2 (4.00%)   reordered 0   duplicated 0",
      );
      assertEquals(
        lines[3],
        "listener:   run of 50 ended: 2 lost after the last arrival",
      );
    }
  }
});

Deno.test("talker stopped early → listener --stats: the run cut short says so, its unsent rest not lost", async () => {
  const listener = runInProcess(listenerMain, [
    "-p",
    "0",
    "-b",
    "127.0.0.1",
    "-k",
    "--stats",
    "--json",
  ]);
  const port = await listeningPort(listener.stderr);
  const talker = runInProcess(talkerMain, [
    "-p",
    `${port}`,
    "-c",
    "1000",
    "-r",
    "200",
    "127.0.0.1",
    "x",
  ]);
  // A few datagrams arrive; then the talker is stopped as SIGINT would.
  await listener.stdout.waitFor(/"event":"datagram".*"seq":2,/, "seq 2");
  talker.controller.abort();
  assertStrictEquals(await deadline(talker.code, "the talker"), 130);
  const sent = Number(talker.stdout.text.match(/sent (\d+) datagram/)![1]);
  const end = await listener.stdout.waitFor(
    /^\{"event":"end".*$/,
    "an end marker",
  );
  assertEquals(JSON.parse(end[0]!), {
    event: "end",
    address: "127.0.0.1",
    port: JSON.parse(end[0]!).port,
    count: sent,
    planned: 1000,
  });
  listener.controller.abort();
  assertStrictEquals(await deadline(listener.code, "the listener"), 0);
  const stats = listener.stdout.lines.map((l) => JSON.parse(l)).find((e) =>
    e.event === "stats"
  );
  const [sender] = stats.senders;
  assertEquals(
    [sender.ended, sender.expected, sender.planned, sender.cutShort],
    [true, sent, 1000, true],
  );
  assertEquals([sender.lost, sender.lostAtEnd], [0, 0]);
});

Deno.test("talker → listener -c 5 --stats stopping first: the final report says the end was not seen, counts no tail", async () => {
  const listener = runInProcess(listenerMain, [
    "-p",
    "0",
    "-b",
    "127.0.0.1",
    "-c",
    "5",
    "--stats",
    "--quiet",
  ]);
  const port = await listeningPort(listener.stderr);
  const talker = runInProcess(talkerMain, [
    "-p",
    `${port}`,
    "-c",
    "1000",
    "-r",
    "500",
    "127.0.0.1",
    "x",
  ]);
  assertStrictEquals(await deadline(listener.code, "the listener"), 0);
  talker.controller.abort();
  assertStrictEquals(await deadline(talker.code, "the talker"), 130);
  const lines = listener.stdout.lines;
  assertEquals(
    lines[2],
    "listener:   received 5   lost 0 (0.00%)   reordered 0   duplicated 0",
  );
  assertEquals(
    lines[3],
    "listener:   end of run not seen (the listener stopped before it, or every end marker was lost): losses after 4 are not counted",
  );
});
