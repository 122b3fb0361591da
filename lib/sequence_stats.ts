/**
 * Statistics of one sender's numbered datagrams: how many arrived, how many
 * are missing, late or repeated, their one-way delay and their interarrival
 * jitter as RFC 3550 defines it.
 *
 * How each datagram is counted, in order of arrival, with `highest` the
 * highest sequence number that had arrived before it:
 *
 * - every arrival counts in `received`, copies included;
 * - a sequence number above `highest + 1` opens a gap: the numbers skipped
 *   count as `lost` (a sender's first sequence number is 0, so a loss at the
 *   start is a gap too; a loss after the last arrival is not seen);
 * - a number inside a gap is `reordered` (it arrived after a higher one, RFC
 *   4737's reordered singleton) and closes its place in the gap, so `lost`
 *   goes down by one: a late datagram is never both lost and reordered;
 * - a number that already arrived is `duplicated`.
 *
 * So `lost = highest + 1 − (received − duplicated)` at every moment, and a
 * report taken while datagrams are still late can show a loss that a later
 * report no longer shows.
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
 * import { SequenceStats } from "./sequence_stats.ts";
 * import { assertEquals } from "@std/assert/equals";
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
 * @module
 */

import type { NumberedHeader } from "./numbered_datagram.ts";

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
  /** Sequence numbers from 0 to `highest` that have not arrived. */
  lost: number;
  /** Datagrams that arrived after one with a higher sequence number. */
  reordered: number;
  /** Datagrams whose sequence number had arrived before. */
  duplicated: number;
  /** The highest sequence number that arrived; `-1` before any. */
  highest: number;
  /** One-way delay in ms; `undefined` before any arrival. */
  delay: DelaySummary | undefined;
  /** RFC 3550 interarrival jitter in ms; `0` until two have arrived. */
  jitter: number;
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
   * Gaps remembered. When more are open, the oldest half is forgotten: they
   * stay lost, and a datagram that fills one later counts as duplicated.
   * @default {4096}
   */
  maxGaps?: number;
}

/**
 * The accumulator for one sender: {@linkcode SequenceStats.record} each
 * numbered datagram as it arrives, {@linkcode SequenceStats.report} at any
 * time.
 */
export class SequenceStats {
  #received = 0;
  #lost = 0;
  #reordered = 0;
  #duplicated = 0;
  #highest = -1;
  /** Open gaps as inclusive ranges, ascending and disjoint: lo₀, hi₀, lo₁, … */
  #gaps: number[] = [];
  #maxGaps: number;
  #capacity: number;
  #samples: Float64Array;
  #sampled = 0;
  #min = Infinity;
  #max = -Infinity;
  #transit = 0;
  #jitter = 0;

  /**
   * Make an empty accumulator.
   *
   * @param options How many delays and gaps to keep.
   */
  constructor(options: SequenceStatsOptions = {}) {
    const samples = options.delaySamples ?? 65_536;
    const gaps = options.maxGaps ?? 4096;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new RangeError(
        `Delay samples "${samples}" is not a positive integer`,
      );
    }
    if (!Number.isInteger(gaps) || gaps < 2) {
      throw new RangeError(`Maximum gaps "${gaps}" is not an integer above 1`);
    }
    this.#samples = new Float64Array(Math.min(samples, 1024));
    this.#maxGaps = gaps;
    this.#capacity = samples;
  }

  /**
   * Count one numbered datagram.
   *
   * @param header Its sequence number and send time (ms since the Unix
   *   epoch), as {@linkcode readNumberedHeader} reads them.
   * @param arrivedAt Its arrival time on the same scale.
   *
   * @example A gap, then the late datagram that fills it
   * ```ts
   * import { SequenceStats } from "./sequence_stats.ts";
   * import { assertEquals } from "@std/assert/equals";
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
    const { seq, sentAt } = header;
    const first = this.#received === 0;
    this.#received++;
    if (seq > this.#highest) {
      if (seq > this.#highest + 1) this.#openGap(this.#highest + 1, seq - 1);
      this.#highest = seq;
    } else if (this.#closeGap(seq)) {
      this.#reordered++;
      this.#lost--;
    } else {
      this.#duplicated++;
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
   * import { SequenceStats } from "./sequence_stats.ts";
   * import { assertEquals } from "@std/assert/equals";
   *
   * assertEquals(new SequenceStats().report().highest, -1);
   * ```
   */
  report(): SequenceReport {
    return {
      received: this.#received,
      lost: this.#lost,
      reordered: this.#reordered,
      duplicated: this.#duplicated,
      highest: this.#highest,
      delay: this.#received === 0 ? undefined : {
        min: this.#min,
        median: this.#median(),
        max: this.#max,
      },
      jitter: this.#jitter,
    };
  }

  #openGap(lo: number, hi: number): void {
    this.#lost += hi - lo + 1;
    this.#gaps.push(lo, hi);
    if (this.#gaps.length > 2 * this.#maxGaps) {
      this.#gaps.splice(0, 2 * Math.floor(this.#maxGaps / 2));
    }
  }

  /** Take `seq` out of the gap that holds it; false when none does. */
  #closeGap(seq: number): boolean {
    const gaps = this.#gaps;
    // The last gap whose low end is at or below seq.
    let lo = 0, hi = gaps.length / 2 - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (gaps[2 * mid]! <= seq) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (at < 0) return false;
    const start = gaps[2 * at]!, end = gaps[2 * at + 1]!;
    if (seq > end) return false;
    if (start === end) gaps.splice(2 * at, 2);
    else if (seq === start) gaps[2 * at] = seq + 1;
    else if (seq === end) gaps[2 * at + 1] = seq - 1;
    else gaps.splice(2 * at + 1, 1, seq - 1, seq + 1, end);
    return true;
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
