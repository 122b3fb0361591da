import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertThrows,
} from "@std/assert";
import { SequenceStats } from "../lib/sequence_stats.ts";

/** Record `seqs` in this order of arrival, each sent at 0 and arriving at 1. */
function counts(seqs: readonly number[]): number[] {
  const stats = new SequenceStats();
  for (const seq of seqs) stats.record({ seq, sentAt: 0 }, 1);
  const r = stats.report();
  return [r.received, r.lost, r.reordered, r.duplicated, r.highest];
}

Deno.test("SequenceStats counts an unbroken run as received, nothing else", () => {
  assertEquals(counts([0, 1, 2, 3]), [4, 0, 0, 0, 3]);
  assertEquals(counts([]), [0, 0, 0, 0, -1]);
});

Deno.test("SequenceStats counts a gap as lost, one per missing number", () => {
  assertEquals(counts([0, 3, 4, 9]), [4, 6, 0, 0, 9]);
});

Deno.test("SequenceStats counts a loss at the start: a sender starts at 0", () => {
  assertEquals(counts([2, 3]), [2, 2, 0, 0, 3]);
});

Deno.test("SequenceStats does not see a loss after the last arrival", () => {
  assertEquals(counts([0, 1]), [2, 0, 0, 0, 1]);
});

Deno.test("SequenceStats counts a late datagram as reordered, and no longer lost", () => {
  assertEquals(counts([0, 2, 1, 3]), [4, 0, 1, 0, 3]);
  // Each number of a wide gap filled in any order.
  assertEquals(counts([0, 5, 3, 1, 4, 2]), [6, 0, 4, 0, 5]);
  // Partly filled: the rest stays lost.
  assertEquals(counts([0, 5, 3, 6]), [4, 3, 1, 0, 6]);
  // A late first datagram.
  assertEquals(counts([1, 0]), [2, 0, 1, 0, 1]);
});

Deno.test("SequenceStats counts a copy as duplicated, wherever it comes", () => {
  assertEquals(counts([0, 0]), [2, 0, 0, 1, 0], "copy of the highest");
  assertEquals(counts([0, 1, 2, 0]), [4, 0, 0, 1, 2], "copy of an old one");
  assertEquals(counts([0, 2, 1, 1]), [4, 0, 1, 1, 2], "copy of a late one");
  assertEquals(counts([0, 2, 2, 1]), [4, 0, 1, 1, 2], "copy after a gap");
});

Deno.test("SequenceStats agrees with a plain model on random arrivals", () => {
  let x = 12345;
  const random = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  for (let round = 0; round < 200; round++) {
    const arrivals = Array.from({ length: 1 + random(60) }, () => random(40));
    const seen = new Set<number>();
    let highest = -1, reordered = 0, duplicated = 0;
    for (const seq of arrivals) {
      if (seen.has(seq)) duplicated++;
      else if (seq < highest) reordered++;
      seen.add(seq);
      highest = Math.max(highest, seq);
    }
    const lost = highest + 1 - seen.size;
    assertEquals(
      counts(arrivals),
      [arrivals.length, lost, reordered, duplicated, highest],
      arrivals.join(" "),
    );
  }
});

Deno.test("SequenceStats counts every late datagram as reordered past 4096 open gaps", () => {
  // 0, 2, …, 10000, then 1, 3, …, 9999: each once, 5,000 gaps open at once.
  const stats = new SequenceStats();
  for (let seq = 0; seq <= 10_000; seq += 2) {
    stats.record({ seq, sentAt: 0 }, 1);
  }
  assertEquals(stats.report().lost, 5_000);
  for (let seq = 1; seq < 10_000; seq += 2) stats.record({ seq, sentAt: 0 }, 1);
  let r = stats.report();
  assertEquals(
    [r.received, r.lost, r.reordered, r.duplicated, r.highest, r.approximate],
    [10_001, 0, 5_000, 0, 10_000, false],
  );
  // A copy really seen again is still a copy, late one or not.
  stats.record({ seq: 3, sentAt: 0 }, 1);
  stats.record({ seq: 4, sentAt: 0 }, 1);
  r = stats.report();
  assertEquals([r.received, r.lost, r.reordered, r.duplicated], [
    10_003,
    0,
    5_000,
    2,
  ]);
});

Deno.test("SequenceStats stays exact over a million datagrams with heavy loss and late arrivals", () => {
  let x = 4950;
  const random = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const n = 1_000_000;
  const late: number[] = [];
  const arrivals: number[] = [];
  for (let seq = 0; seq < n; seq++) {
    const r = random();
    if (r < 0.3) continue; // lost for good
    if (r < 0.4) late.push(seq); // comes at the end
    else arrivals.push(seq);
    if (r > 0.99) arrivals.push(seq); // and a copy
  }
  arrivals.push(...late, late[0]!);
  const stats = new SequenceStats();
  const seen = new Uint8Array(n);
  let highest = -1, unique = 0, reordered = 0, duplicated = 0;
  for (const seq of arrivals) {
    stats.record({ seq, sentAt: 0 }, 1);
    if (seen[seq]) duplicated++;
    else {
      if (seq < highest) reordered++;
      seen[seq] = 1;
      unique++;
    }
    if (seq > highest) highest = seq;
  }
  const r = stats.report();
  assertEquals(
    [r.received, r.lost, r.reordered, r.duplicated, r.approximate],
    [arrivals.length, highest + 1 - unique, reordered, duplicated, false],
  );
  assert(r.lost > 250_000 && r.reordered > 90_000 && r.duplicated > 9_000);
});

Deno.test("SequenceStats past its window forgets the oldest numbers and says the counts are approximate", () => {
  const stats = new SequenceStats({ window: 32 });
  for (const seq of [0, 2, 31]) stats.record({ seq, sentAt: 0 }, 1);
  assertEquals(stats.report().approximate, false, "a span of 31 fits");
  // 1 to 40 would span 40: 1 to 8 are forgotten, still lost.
  stats.record({ seq: 40, sentAt: 0 }, 1);
  let r = stats.report();
  assertEquals([r.lost, r.approximate], [37, true]);
  stats.record({ seq: 20, sentAt: 0 }, 1); // in the window: late
  stats.record({ seq: 1, sentAt: 0 }, 1); // forgotten: taken as a copy
  r = stats.report();
  assertEquals([r.lost, r.reordered, r.duplicated], [36, 1, 1]);
  assertEquals(r.lost, r.highest + 1 - (r.received - r.duplicated));
});

Deno.test("SequenceStats grows its ring only within a shared budget, then says the counts are approximate", () => {
  const budget = { bytes: 256 }; // 2,048 sequence numbers
  const first = new SequenceStats({ budget });
  for (const seq of [0, 5000]) first.record({ seq, sentAt: 0 }, 1);
  let r = first.report();
  assertEquals([r.lost, r.approximate, budget.bytes], [4999, true, 0]);
  first.record({ seq: 3000, sentAt: 0 }, 1); // in the ring: late
  first.record({ seq: 10, sentAt: 0 }, 1); // forgotten: taken as a copy
  r = first.report();
  assertEquals([r.lost, r.reordered, r.duplicated], [4998, 1, 1]);
  // Nothing is left for a second accumulator on the same budget.
  const second = new SequenceStats({ budget });
  for (const seq of [0, 100, 50]) second.record({ seq, sentAt: 0 }, 1);
  r = second.report();
  assertEquals(
    [r.received, r.lost, r.duplicated, r.approximate, budget.bytes],
    [3, 99, 1, true, 0],
  );
  assertEquals(r.lost, r.highest + 1 - (r.received - r.duplicated));
});

Deno.test("SequenceStats with a budget too small for the smallest ring keeps none, and says so", () => {
  const budget = { bytes: 2 };
  const stats = new SequenceStats({ budget });
  for (const seq of [1, 0, 1, 1]) stats.record({ seq, sentAt: 0 }, 1);
  const r = stats.report();
  assertEquals(
    [r.received, r.lost, r.reordered, r.duplicated, r.approximate],
    [4, 1, 0, 3, true],
  );
  assertEquals(budget.bytes, 2, "nothing charged for a ring not made");
  assertEquals(r.lost, r.highest + 1 - (r.received - r.duplicated));
});

Deno.test("SequenceStats forgets whole stretches of its ring at once, and stays exact past them", () => {
  // Jumps of a window less one, over a ring kept full: each forgets almost
  // all of it (a word at a time, across the wrap), and agrees with a model.
  const window = 1024;
  const stats = new SequenceStats({ window });
  const seen = new Set<number>();
  let highest = -1;
  const arrive = (seq: number): void => {
    stats.record({ seq, sentAt: 0 }, 1);
    seen.add(seq);
    highest = Math.max(highest, seq);
  };
  for (let seq = 0; seq < window; seq += 2) arrive(seq);
  for (let k = 1; k <= 50; k++) arrive(highest + window - 1 - (k % 7));
  // Late ones inside the ring, after the last jump, are reordered.
  const late = [highest - 1, highest - 3, highest - 900];
  for (const seq of late) arrive(seq);
  const r = stats.report();
  assertEquals(r.highest, highest);
  assertEquals(r.approximate, true);
  assertEquals(r.reordered, late.length);
  assertEquals(r.lost, highest + 1 - seen.size);
});

Deno.test("SequenceStats takes a jump of billions: one gap, counted exactly", () => {
  const stats = new SequenceStats();
  for (const seq of [0, 0xffff_fffe, 0xffff_ffff, 0]) {
    stats.record({ seq, sentAt: 0 }, 1);
  }
  const r = stats.report();
  assertEquals(
    [r.received, r.lost, r.duplicated, r.highest, r.approximate],
    [4, 0xffff_fffd, 1, 0xffff_ffff, true],
  );
});

Deno.test("SequenceStats agrees with a plain model while its ring grows and wraps", () => {
  let x = 777;
  const random = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  for (let round = 0; round < 50; round++) {
    // Every number once, each up to 3,000 places late, and some copies: the
    // span from the lowest missing to the highest grows the ring past 1024
    // and wraps it many times, never past its window.
    const keyed: [key: number, seq: number][] = [];
    for (let seq = 0; seq < 20_000; seq++) {
      keyed.push([seq + random(3_000), seq]);
      if (random(20) === 0) keyed.push([seq + random(3_000), seq]);
    }
    const arrivals = keyed.sort((a, b) => a[0] - b[0]).map(([, seq]) => seq);
    const stats = new SequenceStats({ window: 8192 });
    const seen = new Set<number>();
    let highest = -1, reordered = 0, duplicated = 0;
    for (const seq of arrivals) {
      stats.record({ seq, sentAt: 0 }, 1);
      if (seen.has(seq)) duplicated++;
      else if (seq < highest) reordered++;
      seen.add(seq);
      highest = Math.max(highest, seq);
    }
    const r = stats.report();
    assertEquals(
      [r.received, r.lost, r.reordered, r.duplicated, r.approximate],
      [arrivals.length, highest + 1 - seen.size, reordered, duplicated, false],
      `round ${round}`,
    );
  }
});

Deno.test("SequenceStats reports delay minimum, median and maximum exactly", () => {
  const stats = new SequenceStats();
  assertEquals(stats.report().delay, undefined);
  const delays = [0.5, 0.2, 3, 0.25, 0.3];
  delays.forEach((d, seq) => stats.record({ seq, sentAt: 1_000 }, 1_000 + d));
  const odd = stats.report().delay!;
  assertAlmostEquals(odd.min, 0.2, 1e-9);
  assertAlmostEquals(odd.median, 0.3, 1e-9);
  assertAlmostEquals(odd.max, 3, 1e-9);
  stats.record({ seq: 5, sentAt: 1_000 }, 1_000.4);
  assertAlmostEquals(stats.report().delay!.median, 0.35, 1e-9, "even count");
});

Deno.test("SequenceStats keeps min and max exact past delaySamples, the median from a sample", () => {
  const stats = new SequenceStats({ delaySamples: 100 });
  for (let seq = 0; seq < 10_000; seq++) {
    stats.record({ seq, sentAt: 0 }, seq === 7 ? -5 : 1 + (seq % 3));
  }
  const delay = stats.report().delay!;
  assertEquals([delay.min, delay.max], [-5, 3]);
  if (!(delay.median >= 1 && delay.median <= 3)) {
    throw new Error(`median ${delay.median} outside the delays`);
  }
});

Deno.test("SequenceStats computes RFC 3550 jitter in order of arrival", () => {
  // Transit times in arrival order: 10, 12, 11, 15 (ms).
  const arrivals: [seq: number, sent: number, arrived: number][] = [
    [0, 0, 10],
    [2, 40, 52],
    [1, 20, 31],
    [3, 60, 75],
  ];
  const stats = new SequenceStats();
  const record = ([seq, sentAt, arrived]: [number, number, number]): void =>
    stats.record({ seq, sentAt }, arrived);
  record(arrivals[0]!);
  assertEquals(stats.report().jitter, 0, "one arrival: no difference yet");
  for (const a of arrivals.slice(1)) record(a);
  let j = 0;
  for (const d of [2, 1, 4]) j += (d - j) / 16;
  assertAlmostEquals(stats.report().jitter, j, 1e-12);
});

Deno.test("SequenceStats jitter ignores a constant clock offset; delay does not", () => {
  const make = (offset: number): SequenceStats => {
    const stats = new SequenceStats();
    [1, 3, 2, 2, 5].forEach((transit, seq) =>
      stats.record({ seq, sentAt: seq * 10 }, seq * 10 + transit + offset)
    );
    return stats;
  };
  const here = make(0).report(), there = make(1_000).report();
  assertAlmostEquals(here.jitter, there.jitter, 1e-9);
  assertEquals(there.delay!.min - here.delay!.min, 1_000);
});

Deno.test("SequenceStats refuses option values out of range", () => {
  assertThrows(() => new SequenceStats({ delaySamples: 0 }), RangeError);
  for (const window of [0, 16, 1000, 2 ** 31, 32.5]) {
    assertThrows(() => new SequenceStats({ window }), RangeError, "Window");
  }
});

/** Record version-2 `seqs` in this order, then (if given) the end marker. */
function run(
  seqs: readonly number[],
  end?: { count: number; planned: number },
): ReturnType<SequenceStats["report"]> {
  const stats = new SequenceStats();
  for (const seq of seqs) stats.record({ seq, sentAt: 0, version: 2 }, 1);
  if (end) stats.record({ seq: end.count - 1, sentAt: 0, version: 2, end }, 1);
  return stats.report();
}

Deno.test("SequenceStats counts a loss after the last arrival once the end marker says where the run ended", () => {
  const r = run([0, 1, 2], { count: 6, planned: 6 });
  assertEquals(
    [r.received, r.lost, r.lostAtEnd, r.highest, r.expected, r.planned],
    [3, 3, 3, 2, 6, 6],
  );
  assertEquals([r.endMarked, r.ended, r.cutShort], [true, true, false]);
  // With gaps, copies and a late one: lost = expected - distinct received.
  const mixed = run([0, 3, 1, 3, 5], { count: 9, planned: 9 });
  assertEquals([mixed.received, mixed.duplicated], [5, 1]);
  assertEquals([mixed.lost, mixed.lostAtEnd], [9 - 4, 3]);
});

Deno.test("SequenceStats takes a run cut short by its sender as such, its unsent rest not lost", () => {
  const r = run([0, 1, 2, 3], { count: 4, planned: 100 });
  assertEquals([r.lost, r.lostAtEnd, r.cutShort], [0, 0, true]);
  assertEquals([r.expected, r.planned], [4, 100]);
  const lossy = run([0, 1], { count: 4, planned: 100 });
  assertEquals([lossy.lost, lossy.lostAtEnd, lossy.cutShort], [2, 2, true]);
});

Deno.test("SequenceStats counts an end marker as no arrival, its copies as nothing, a late datagram after it as ever", () => {
  const stats = new SequenceStats();
  const end = { count: 4, planned: 4 };
  stats.record({ seq: 0, sentAt: 0, version: 2 }, 1);
  for (let i = 0; i < 3; i++) {
    stats.record({ seq: 3, sentAt: 0, version: 2, end }, 1);
  }
  let r = stats.report();
  assertEquals([r.received, r.duplicated, r.lost, r.lostAtEnd], [1, 0, 3, 3]);
  assertEquals(r.highest, 0);
  stats.record({ seq: 2, sentAt: 0, version: 2 }, 1);
  r = stats.report();
  assertEquals([r.received, r.lost, r.lostAtEnd, r.highest], [2, 2, 1, 2]);
});

Deno.test("SequenceStats of a version-2 sender without its end marker says the end was not seen", () => {
  const r = run([0, 1, 2]);
  assertEquals([r.endMarked, r.ended, r.expected, r.planned], [
    true,
    false,
    undefined,
    undefined,
  ]);
  assertEquals([r.lost, r.lostAtEnd, r.cutShort], [0, 0, false]);
});

Deno.test("SequenceStats of a version-1 sender reports as before: no end marked, nothing after the last arrival", () => {
  const stats = new SequenceStats();
  for (const seq of [0, 2]) stats.record({ seq, sentAt: 0 }, 1);
  const r = stats.report();
  assertEquals([r.received, r.lost, r.highest], [2, 1, 2]);
  assertEquals(
    [r.endMarked, r.ended, r.expected, r.planned, r.cutShort, r.lostAtEnd],
    [false, false, undefined, undefined, false, 0],
  );
});

Deno.test("SequenceStats keeps every number when a ring that wrapped grows: copies stay copies", () => {
  // Number `gap` is late: the ring of 1,024 fills from its bit `gap` on and
  // wraps to its start; the next number makes it grow, and each part of
  // the old ring must land where its numbers now belong.
  for (const gap of [31, 32, 64, 700, 704, 1000, 1023]) {
    const seqs: number[] = [];
    for (let seq = 0; seq < gap; seq++) seqs.push(seq);
    for (let seq = gap + 1; seq <= gap + 1024; seq++) seqs.push(seq);
    const copies = seqs.filter((seq) => seq > gap && seq % 97 === 0);
    assert(copies.length >= 10);
    assertEquals(
      counts([...seqs, ...copies, gap]),
      [seqs.length + copies.length + 1, 0, 1, copies.length, gap + 1024],
      `late ${gap}`,
    );
  }
});
