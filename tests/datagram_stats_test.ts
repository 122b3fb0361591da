import { assertEquals, assertThrows } from "@std/assert";
import { DatagramStats } from "../lib/datagram_stats.ts";
import {
  numberedDatagram,
  numberedEndMarker,
} from "../lib/numbered_datagram.ts";
import { deadline } from "./_util.ts";

const peer = (hostname: string, port: number): Deno.NetAddr => ({
  transport: "udp",
  hostname,
  port,
});

Deno.test("DatagramStats keeps one account per sender address and port", () => {
  const stats = new DatagramStats();
  const a = peer("127.0.0.1", 5000), b = peer("127.0.0.1", 5001);
  const c = peer("::1", 5000);
  for (
    const [seq, from] of [[0, a], [0, b], [1, a], [0, c], [3, a], [
      2,
      b,
    ]] as const
  ) {
    stats.record(numberedDatagram({ seq, sentAt: 0 }), from, 1);
  }
  assertEquals(
    stats.report().map((
      r,
    ) => [r.hostname, r.port, r.received, r.lost, r.highest]),
    [
      ["127.0.0.1", 5000, 3, 1, 3],
      ["127.0.0.1", 5001, 2, 1, 2],
      ["::1", 5000, 1, 0, 0],
    ],
  );
});

Deno.test("DatagramStats counts plain datagrams apart and returns no header for them", () => {
  const stats = new DatagramStats();
  const from = peer("10.0.0.1", 9);
  assertEquals(
    stats.record(new TextEncoder().encode("hello"), from, 0),
    undefined,
  );
  assertEquals(
    stats.record(numberedDatagram({ seq: 5, sentAt: 100 }), from, 101),
    {
      seq: 5,
      sentAt: 100,
    },
  );
  assertEquals(stats.plain, 1);
  assertEquals(stats.report().length, 1);
  assertEquals(stats.report()[0]!.delay, { min: 1, median: 1, max: 1 });
});

Deno.test("DatagramStats counts a header with nanoseconds of 10^9 or more as plain", () => {
  const stats = new DatagramStats();
  const data = numberedDatagram({ seq: 0, sentAt: 0 });
  new DataView(data.buffer).setUint32(16, 1_000_000_000);
  assertEquals(stats.record(data, peer("127.0.0.1", 9), 0), undefined);
  assertEquals([stats.plain, stats.report().length], [1, 0]);
});

Deno.test("DatagramStats tracks at most maxSenders, counting the rest as untracked", () => {
  const stats = new DatagramStats({ maxSenders: 2 });
  for (let port = 1; port <= 4; port++) {
    stats.record(
      numberedDatagram({ seq: 0, sentAt: 0 }),
      peer("127.0.0.1", port),
      0,
    );
  }
  stats.record(
    numberedDatagram({ seq: 1, sentAt: 0 }),
    peer("127.0.0.1", 1),
    0,
  );
  assertEquals(stats.report().map((r) => [r.port, r.received]), [[1, 2], [
    2,
    1,
  ]]);
  assertEquals(stats.untracked, 2);
});

Deno.test("DatagramStats passes options on to each sender's SequenceStats", () => {
  const stats = new DatagramStats({ delaySamples: 1 });
  const from = peer("127.0.0.1", 1);
  for (let seq = 0; seq < 50; seq++) {
    stats.record(numberedDatagram({ seq, sentAt: 0 }), from, seq);
  }
  const delay = stats.report()[0]!.delay!;
  assertEquals([delay.min, delay.max], [0, 49]);
  assertEquals(delay.median, Math.round(delay.median), "one kept sample");
});

Deno.test("DatagramStats gives all its senders one bitmap budget: forged gaps from many ports cannot each take a window", () => {
  // 4,096 numbers (512 bytes) for each sender's gap; room for two.
  const stats = new DatagramStats({ bitmapBytes: 1024 });
  for (let port = 1; port <= 4; port++) {
    for (const seq of [0, 4000]) {
      stats.record(numberedDatagram({ seq, sentAt: 0 }), peer("::1", port), 1);
    }
  }
  assertEquals(
    stats.report().map((r) => [r.port, r.lost, r.approximate]),
    [[1, 3999, false], [2, 3999, false], [3, 3999, true], [4, 3999, true]],
  );
});

Deno.test("DatagramStats refuses a bitmap budget that is not a non-negative integer", () => {
  for (const bitmapBytes of [-1, 1.5, NaN, Infinity]) {
    assertThrows(() => new DatagramStats({ bitmapBytes }), RangeError);
  }
});

Deno.test("DatagramStats reads an end marker as numbered, not plain, and counts the tail it reveals", () => {
  const stats = new DatagramStats();
  const from = peer("127.0.0.1", 7);
  for (const seq of [0, 1]) {
    stats.record(numberedDatagram({ seq, sentAt: 0, version: 2 }), from, 1);
  }
  const header = stats.record(
    numberedEndMarker({ count: 5, planned: 5 }, 0),
    from,
    1,
  );
  assertEquals(header?.end, { count: 5, planned: 5 });
  assertEquals(stats.plain, 0);
  const [report] = stats.report();
  assertEquals(
    [report!.received, report!.lost, report!.lostAtEnd, report!.ended],
    [2, 3, 3, true],
  );
});

Deno.test("DatagramStats refuses options out of range when made, not at the first datagram", () => {
  for (const maxSenders of [-1, 1.5, Number.NaN]) {
    assertThrows(
      () => new DatagramStats({ maxSenders }),
      RangeError,
      "Max senders",
    );
  }
  assertThrows(() => new DatagramStats({ window: 33 }), RangeError, "Window");
  assertThrows(
    () => new DatagramStats({ delaySamples: 0 }),
    RangeError,
    "Delay samples",
  );
});

Deno.test("DatagramStats.record() takes the Deno.Addr that DatagramConn.receive() gives, without a cast", async () => {
  const receiver = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const sender = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  try {
    await sender.send(
      numberedDatagram({ seq: 0, sentAt: 0 }),
      receiver.addr as Deno.NetAddr,
    );
    const stats = new DatagramStats();
    const [data, from] = await deadline(receiver.receive(), "a datagram");
    // `from` is a Deno.Addr: this line does not type-check if record()
    // takes only a Deno.NetAddr.
    const header = stats.record(data, from, 1);
    assertEquals(header?.seq, 0);
    assertEquals(
      stats.report().map((s) => [s.hostname, s.port, s.received]),
      [["127.0.0.1", (sender.addr as Deno.NetAddr).port, 1]],
    );
  } finally {
    receiver.close();
    sender.close();
  }
});

Deno.test("DatagramStats.record() refuses a peer that is not a UDP address with a TypeError", () => {
  const stats = new DatagramStats();
  for (
    const [bad, message] of [
      [
        { transport: "unixpacket", path: "/tmp/x" },
        'Invalid peer: must be a "udp" address, not "unixpacket"',
      ],
      [
        { transport: "tcp", hostname: "127.0.0.1", port: 1 },
        'Invalid peer: must be a "udp" address, not "tcp"',
      ],
      [undefined, 'Invalid peer: must be a "udp" address, not undefined'],
    ] as const
  ) {
    assertThrows(
      () =>
        stats.record(
          numberedDatagram({ seq: 0, sentAt: 0 }),
          bad as Deno.Addr,
          1,
        ),
      TypeError,
      message,
    );
  }
  assertEquals(stats.report(), []);
});
