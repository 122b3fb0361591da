/**
 * Statistics of one sender's numbered datagrams: how many arrived, how many
 * are missing, late or repeated, their one-way delay and their interarrival
 * jitter as RFC 3550 defines it. How each is counted, and the window within
 * which the counts are exact, is in {@linkcode SequenceStats}.
 *
 * @module
 */

import type { NumberedHeader, RunEnd } from "./numbered_datagram.ts";

/** Minimum, median and maximum of the one-way delays, in ms. */
export interface DelaySummary {
  /** The shortest delay. */
  min: number;
  /** The median (the mean of the two middle delays for an even count). */
  median: number;
  /** The longest delay. */
  max: number;
}

/** What {@linkcode SequenceStats.report} says. */
export interface SequenceReport {
  /** Datagrams that arrived, copies included. */
  received: number;
  /**
   * Sequence numbers of the run that have not arrived: those from 0 to
   * `highest`, and once the run's end marker arrived, those after `highest`
   * up to its end too (`lostAtEnd`). So with `expected` known,
   * `lost = expected − (received − duplicated)`.
   */
  lost: number;
  /** Datagrams that arrived after one with a higher sequence number. */
  reordered: number;
  /** Datagrams whose sequence number had arrived before. */
  duplicated: number;
  /** The highest sequence number that arrived; `-1` before any. */
  highest: number;
  /**
   * Whether the counts are approximate: the span from the lowest missing
   * number to the highest outgrew the window, and the oldest were forgotten.
   */
  approximate: boolean;
  /** One-way delay in ms; `undefined` before any arrival. */
  delay: DelaySummary | undefined;
  /** RFC 3550 interarrival jitter in ms; `0` until two have arrived. */
  jitter: number;
  /**
   * Whether the sender marks the end of its run (its headers are version 2,
   * or its end marker arrived): then `ended` says whether the end was seen.
   * `false` for a version-1 sender, whose losses after its last arrival
   * cannot be seen.
   */
  endMarked: boolean;
  /** Whether the run's end marker arrived. */
  ended: boolean;
  /**
   * Datagrams the run numbered, as its end marker says (sequence numbers 0
   * to `expected − 1`); `undefined` until it arrived.
   */
  expected: number | undefined;
  /**
   * Datagrams the run was to number, as its end marker says; above
   * `expected` when the sender stopped early. `undefined` until it arrived.
   */
  planned: number | undefined;
  /**
   * Whether the run was cut short: its sender stopped it before `planned`.
   * The datagrams it never sent are not lost.
   */
  cutShort: boolean;
  /**
   * Of `lost`, the datagrams after the last arrival (`highest`) up to the
   * run's end: seen only through the end marker, `0` until it arrived.
   */
  lostAtEnd: number;
}

/** Options for {@linkcode SequenceStats}. */
export interface SequenceStatsOptions {
  /**
   * Delays kept for the median. Beyond this many arrivals the median is that
   * of a uniform random sample of this size (reservoir sampling); minimum
   * and maximum stay exact. @default {65536}
   */
  delaySamples?: number;
  /**
   * Sequence numbers tracked exactly, from the lowest still missing to the
   * highest: a power of two from 32 to 2³⁰, one bit each, allocated as the
   * span grows (at most 4 MiB at the default). A span beyond it makes the
   * counts approximate (see {@linkcode SequenceReport.approximate}).
   * @default {33554432}
   */
  window?: number;
  /**
   * Bytes of bitmap that this accumulator may allocate, shared with others
   * given the same object: a ring grows only while the budget holds, and a
   * span beyond what it allows makes the counts approximate, as past the
   * window. {@linkcode DatagramStats} gives all its senders one budget, so
   * that many senders (or forged headers from many ports) cannot make the
   * listener allocate a full window each. @default {unlimited}
   */
  budget?: BitmapBudget;
}

/**
 * Bytes of sequence bitmaps still allowed, shared by the accumulators given
 * it ({@linkcode SequenceStatsOptions.budget}).
 */
export interface BitmapBudget {
  /** Bytes that may still be allocated. */
  bytes: number;
}

/** The smallest bitmap allocated, in sequence numbers. */
const MIN_BITS = 1024;

/**
 * The accumulator for one sender: {@linkcode SequenceStats.record} each
 * numbered datagram as it arrives, {@linkcode SequenceStats.report} at any
 * time.
 *
 * How each datagram is counted, in order of arrival, with `highest` the
 * highest sequence number that had arrived before it:
 *
 * - every arrival counts in `received`, copies included;
 * - a sequence number above `highest + 1` opens a gap: the numbers skipped
 *   count as `lost` (a sender's first sequence number is 0, so a loss at the
 *   start is a gap too);
 * - a number inside a gap is `reordered` (it arrived after a higher one, RFC
 *   4737's reordered singleton) and closes its place in the gap, so `lost`
 *   goes down by one: a late datagram is never both lost and reordered;
 * - a number that already arrived is `duplicated`;
 * - an end marker (header version 2, see {@linkcode numberedEndMarker}) is
 *   no datagram of the run: it says how many the run numbered (`expected`)
 *   and was to number (`planned`). From then on the numbers after `highest`
 *   up to the run's end count as lost too (`lostAtEnd`), and a run its
 *   sender stopped early is `cutShort`, its unsent rest not lost.
 *
 * So `lost = highest + 1 − (received − duplicated)` at every moment, plus
 * `lostAtEnd` once the end is known (`lost = expected − (received −
 * duplicated)`), and a report taken while datagrams are still late can show
 * a loss that a later report no longer shows. A version-1 sender sends no
 * end marker: a loss after its last arrival is not seen (`endMarked` is
 * false). A version-2 sender whose end marker has not arrived (`ended`
 * false) is still sending, was stopped before the receiver, or lost every
 * copy of its end marker: its losses after `highest` are not counted.
 *
 * The counts are exact while the numbers from the lowest still missing to the
 * highest span at most `window` (2²⁵ by default: one bit each, at most 4 MiB,
 * allocated only as the span grows; a run without gaps holds none). Past it,
 * the oldest are forgotten — missing ones stay lost, and one that arrives
 * later counts as duplicated — and the report says the counts are
 * `approximate`.
 *
 * One-way delay is arrival time minus send time: meaningful when both clocks
 * are one, as on one host. Jitter follows RFC 3550 §6.4.1 and appendix A.8:
 * for each arrival after the first, in order of arrival (not of sequence),
 * `D` is the difference of its transit time (arrival − send) and the previous
 * arrival's, and `J += (|D| − J) / 16`. Like `D`, it does not depend on any
 * offset between the two clocks.
 *
 * @example Count a stream with a loss, a late datagram and a copy
 * ```ts
 * import { SequenceStats } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const stats = new SequenceStats();
 * for (const seq of [0, 2, 4, 1, 4]) stats.record({ seq, sentAt: 0 }, 1);
 * const report = stats.report();
 * assertEquals(
 *   [report.received, report.lost, report.reordered, report.duplicated],
 *   [5, 1, 1, 1],
 * );
 * ```
 *
 * @example A loss after the last arrival, seen through the end marker
 * ```ts
 * import {
 *   numberedDatagram,
 *   numberedEndMarker,
 *   readNumberedHeader,
 *   SequenceStats,
 * } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const stats = new SequenceStats();
 * // A run of 5; numbers 3 and 4 never arrive, the end marker does.
 * for (const seq of [0, 1, 2]) {
 *   const data = numberedDatagram({ seq, sentAt: 0, version: 2 });
 *   stats.record(readNumberedHeader(data)!, 1);
 * }
 * const end = numberedEndMarker({ count: 5, planned: 5 }, 0);
 * stats.record(readNumberedHeader(end)!, 1);
 * const { received, lost, lostAtEnd, expected } = stats.report();
 * assertEquals({ received, lost, lostAtEnd, expected }, {
 *   received: 3,
 *   lost: 2,
 *   lostAtEnd: 2,
 *   expected: 5,
 * });
 * ```
 */
export class SequenceStats {
  #received = 0;
  #lost = 0;
  #reordered = 0;
  #duplicated = 0;
  #highest = -1;
  /**
   * The lowest sequence number that has not arrived (every one below it has,
   * or was forgotten); `highest + 1` while no gap is open.
   */
  #floor = 0;
  /**
   * Which numbers from `floor` to `highest` arrived, one bit each, at
   * `seq mod capacity` (a ring); every other bit is 0.
   */
  #bits = new Uint32Array(0);
  #mask = -1;
  #window: number;
  #budget: BitmapBudget | undefined;
  #approximate = false;
  #capacity: number;
  #samples: Float64Array;
  #sampled = 0;
  #min = Infinity;
  #max = -Infinity;
  #transit = 0;
  #jitter = 0;
  #endMarked = false;
  #end: RunEnd | undefined;

  /**
   * Make an empty accumulator.
   *
   * @param options How many delays and sequence numbers to keep.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: SequenceStatsOptions = {}) {
    const samples = options.delaySamples ?? 65_536;
    const window = options.window ?? 2 ** 25;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new RangeError(
        `Delay samples "${samples}" is not a positive integer`,
      );
    }
    if (
      !Number.isInteger(window) || window < 32 || window > 2 ** 30 ||
      2 ** Math.round(Math.log2(window)) !== window
    ) {
      throw new RangeError(
        `Window "${window}" is not a power of two from 32 to 2^30`,
      );
    }
    this.#samples = new Float64Array(Math.min(samples, 1024));
    this.#window = window;
    this.#budget = options.budget;
    this.#capacity = samples;
  }

  /**
   * Count one numbered datagram, or take note of an end marker (a header
   * with `end`: the run's length, not an arrival).
   *
   * @param header Its sequence number and send time (ms since the Unix
   *   epoch), and for version 2 its version and `end`, as
   *   {@linkcode readNumberedHeader} reads them.
   * @param arrivedAt Its arrival time on the same scale.
   *
   * @example A gap, then the late datagram that fills it
   * ```ts
   * import { SequenceStats } from "@beejnet/beejnet";
   * import { assertEquals } from "@std/assert";
   *
   * const stats = new SequenceStats();
   * stats.record({ seq: 0, sentAt: 0 }, 1);
   * stats.record({ seq: 2, sentAt: 0 }, 1);
   * assertEquals(stats.report().lost, 1);
   * stats.record({ seq: 1, sentAt: 0 }, 1);
   * assertEquals([stats.report().lost, stats.report().reordered], [0, 1]);
   * ```
   */
  record(header: NumberedHeader, arrivedAt: number): void {
    if (header.version === 2) {
      this.#endMarked = true;
      if (header.end !== undefined) {
        this.#end = header.end;
        return;
      }
    }
    const { seq, sentAt } = header;
    const first = this.#received === 0;
    this.#received++;
    if (seq === this.#floor) {
      // The next in order, or the lowest missing one, late.
      if (seq > this.#highest) this.#highest = seq;
      else {
        this.#reordered++;
        this.#lost--;
      }
      this.#floor = seq + 1;
      if (this.#floor <= this.#highest) this.#advanceFloor();
    } else if (seq > this.#highest) {
      this.#lost += seq - this.#highest - 1;
      this.#fit(seq);
      this.#highest = seq;
      this.#set(seq);
      if (this.#floor === seq) this.#advanceFloor();
    } else if (seq < this.#floor || this.#has(seq)) {
      this.#duplicated++;
    } else {
      this.#reordered++;
      this.#lost--;
      this.#set(seq);
    }
    const transit = arrivedAt - sentAt;
    if (transit < this.#min) this.#min = transit;
    if (transit > this.#max) this.#max = transit;
    this.#sample(transit);
    if (!first) {
      const d = Math.abs(transit - this.#transit);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /**
   * The counts so far.
   *
   * @returns Counts, delay summary and jitter as of now.
   *
   * @example Before any datagram
   * ```ts
   * import { SequenceStats } from "@beejnet/beejnet";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SequenceStats().report().highest, -1);
   * ```
   */
  report(): SequenceReport {
    const end = this.#end;
    const lostAtEnd = end === undefined
      ? 0
      : Math.max(0, end.count - 1 - this.#highest);
    return {
      received: this.#received,
      lost: this.#lost + lostAtEnd,
      reordered: this.#reordered,
      duplicated: this.#duplicated,
      highest: this.#highest,
      approximate: this.#approximate,
      delay: this.#received === 0 ? undefined : {
        min: this.#min,
        median: this.#median(),
        max: this.#max,
      },
      jitter: this.#jitter,
      endMarked: this.#endMarked,
      ended: end !== undefined,
      expected: end?.count,
      planned: end?.planned,
      cutShort: end !== undefined && end.count < end.planned,
      lostAtEnd,
    };
  }

  #has(seq: number): boolean {
    const at = seq & this.#mask;
    return (this.#bits[at >>> 5]! & (1 << (at & 31))) !== 0;
  }

  #set(seq: number): void {
    const at = seq & this.#mask;
    this.#bits[at >>> 5]! |= 1 << (at & 31);
  }

  /** Move `floor` past the numbers that arrived, clearing their bits. */
  #advanceFloor(): void {
    const bits = this.#bits, mask = this.#mask;
    let floor = this.#floor;
    while (floor <= this.#highest) {
      const at = floor & mask, word = at >>> 5;
      if ((at & 31) === 0 && bits[word] === 0xffff_ffff) {
        bits[word] = 0;
        floor += 32;
        continue;
      }
      const bit = 1 << (at & 31);
      if ((bits[word]! & bit) === 0) break;
      bits[word]! &= ~bit;
      floor++;
    }
    this.#floor = floor;
  }

  /**
   * Make room for `seq`, above `highest`: grow the ring (doubling, up to the
   * window), or past the window forget the oldest numbers.
   */
  #fit(seq: number): void {
    const span = seq - this.#floor + 1;
    const capacity = this.#bits.length * 32;
    if (span <= capacity) return;
    if (capacity < this.#window) {
      let grown = Math.min(this.#window, Math.max(MIN_BITS, 2 * capacity));
      while (grown < span && grown < this.#window) grown *= 2;
      // Within the shared budget: the largest ring it still allows.
      const budget = this.#budget;
      if (budget !== undefined) {
        while (grown > capacity && (grown - capacity) / 8 > budget.bytes) {
          grown /= 2;
        }
        if (grown > capacity && grown >= MIN_BITS) {
          budget.bytes -= (grown - capacity) / 8;
        } else {
          grown = capacity;
          this.#window = capacity; // No more room: this ring is all.
        }
      }
      if (grown > capacity) this.#regrow(grown);
      if (span <= grown) return;
    }
    // Forget the numbers below the window: the missing ones stay lost.
    this.#approximate = true;
    const floor = seq - this.#bits.length * 32 + 1;
    if (floor > this.#highest) this.#bits.fill(0);
    else this.#clear(this.#floor, floor);
    this.#floor = floor;
    this.#advanceFloor();
  }

  /**
   * Clear the bits of the numbers from `from` up to `to` (not included),
   * fewer than the ring holds: whole words at once, so that forgetting a
   * window's worth costs a fill, not a loop per number.
   */
  #clear(from: number, to: number): void {
    const capacity = this.#bits.length * 32;
    let start = from & this.#mask, count = to - from;
    while (count > 0) {
      const end = Math.min(capacity, start + count); // up to the ring's end
      count -= end - start;
      let at = start;
      for (; at < end && (at & 31) !== 0; at++) {
        this.#bits[at >>> 5]! &= ~(1 << (at & 31));
      }
      const words = (end - at) >>> 5;
      this.#bits.fill(0, at >>> 5, (at >>> 5) + words);
      for (at += 32 * words; at < end; at++) {
        this.#bits[at >>> 5]! &= ~(1 << (at & 31));
      }
      start = 0; // the rest wraps to the ring's start
    }
  }

  /**
   * A ring of `capacity` bits, holding what the old one held: copied a
   * word at a time. The old ring holds the numbers from `floor` on, from
   * its bit `start` (`floor`'s) to its end, then from its start. In a ring
   * at least twice as large the first part lands, at the same bits, in the
   * block of the old ring's size where `floor` now falls, and the part that
   * wrapped in the block after it (copying bit by bit, as before, paused a
   * listener for milliseconds at each doubling after a loss).
   */
  #regrow(capacity: number): void {
    const old = this.#bits, words = old.length;
    const bits = new Uint32Array(capacity / 32);
    this.#bits = bits;
    this.#mask = capacity - 1;
    if (words === 0) return;
    const size = words * 32, start = this.#floor & (size - 1);
    const block = Math.floor((this.#floor & (capacity - 1)) / size);
    const first = block * words;
    const second = ((block + 1) % (capacity / size)) * words;
    const w = start >>> 5, b = start & 31;
    bits.set(old.subarray(w + 1), first + w + 1);
    bits.set(old.subarray(0, w), second);
    const split = old[w]!;
    bits[first + w] = b === 0 ? split : (split >>> b) << b;
    if (b !== 0) bits[second + w] = split & ((1 << b) - 1);
  }

  #sample(delay: number): void {
    const n = this.#sampled++;
    if (n < this.#capacity) {
      if (n === this.#samples.length) {
        const grown = new Float64Array(
          Math.min(this.#capacity, 2 * this.#samples.length),
        );
        grown.set(this.#samples);
        this.#samples = grown;
      }
      this.#samples[n] = delay;
      return;
    }
    // Reservoir sampling (algorithm R): keep each with probability k/(n+1).
    const slot = Math.floor(Math.random() * (n + 1));
    if (slot < this.#capacity) this.#samples[slot] = delay;
  }

  #median(): number {
    const kept = this.#samples.slice(0, Math.min(this.#sampled, this.#capacity))
      .sort();
    const mid = kept.length >> 1;
    return kept.length % 2 === 1
      ? kept[mid]!
      : (kept[mid - 1]! + kept[mid]!) / 2;
  }
}
