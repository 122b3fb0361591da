// The lossy relay of tests/_relay.ts does what its log says, and the log's
// counts are what DatagramStats reports for the stream it forwarded.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { deadline } from "@std/async/deadline";
import { DatagramStats } from "../lib/datagram_stats.ts";
import { pace } from "../lib/pace.ts";
import {
  numberedDatagram,
  readNumberedHeader,
  wallClock,
} from "../lib/numbered_datagram.ts";
import {
  expectedCounts,
  planImpairments,
  seededRandom,
  startRelay,
} from "./_relay.ts";

function udp(): Deno.DatagramConn & Disposable {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

Deno.test("planImpairments() is the same for the same seed, distinct and early", () => {
  const options = {
    seed: 7,
    count: 100,
    drop: 5,
    duplicate: 4,
    reorder: 3,
    delay: 2,
  };
  const plan = planImpairments(options);
  assertEquals(planImpairments(options), plan);
  assertEquals(plan.actions.size, 14);
  for (const index of plan.actions.keys()) {
    assert(index < 100 - plan.holdFor - 1, `${index} too late to show`);
  }
  const count = (what: string): number =>
    [...plan.actions.values()].filter((a) => a === what).length;
  assertEquals(
    ["drop", "duplicate", "reorder", "delay"].map(count),
    [5, 4, 3, 2],
  );
  assertThrows(
    () => planImpairments({ seed: 1, count: 5, drop: 2 }),
    RangeError,
  );
});

Deno.test("seededRandom() stays below its bound", () => {
  const random = seededRandom(0);
  for (let i = 0; i < 1000; i++) assert(random(10) < 10);
});

Deno.test("startRelay() forwards what its log says, and DatagramStats counts exactly that", async () => {
  const count = 200;
  using receiver = udp();
  using sender = udp();
  const plan = planImpairments({
    seed: 11,
    count,
    drop: 9,
    duplicate: 6,
    reorder: 5,
    delay: 2,
    delayMs: 15,
  });
  await using relay = startRelay(receiver.addr as Deno.NetAddr, plan);
  const sending = pace(count, async (seq) => {
    await sender.send(
      numberedDatagram({ seq, sentAt: wallClock() }),
      relay.addr,
    );
  }, { interval: 0.25 });
  const log = await deadline(relay.finished, 10_000);
  await sending;
  assertEquals(log.received, count);
  assertEquals(log.dropped.length, 9);
  assertEquals(log.duplicated.length, 6);
  assertEquals(log.reordered.length, 5);
  assertEquals(log.delayed.length, 2);

  const stats = new DatagramStats();
  const order: number[] = [];
  const buffer = new Uint8Array(65_536);
  while (order.length < log.forwarded.length) {
    const [data, from] = await deadline(receiver.receive(buffer), 10_000);
    order.push(readNumberedHeader(data)!.seq);
    stats.record(data, from as Deno.NetAddr, wallClock());
  }
  assertEquals(order, log.forwarded, "forwarded in the logged order");
  const [report] = stats.report();
  const { received, lost, reordered, duplicated, highest } = report!;
  assertEquals(
    { received, lost, reordered, duplicated, highest },
    expectedCounts(log),
  );
  assertEquals(expectedCounts(log), {
    received: count - 9 + 6,
    lost: 9,
    reordered: 5,
    duplicated: 6,
    highest: count - 1,
  });
  assert(
    report!.delay!.max >= 15,
    `a delayed datagram took ${report!.delay!.max} ms`,
  );
});
