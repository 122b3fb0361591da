/**
 * Pace a number of sends on an absolute schedule: send `i` is due at
 * `start + i × interval`, whatever the sends before it cost, so the rate
 * does not drift. Sends that fall behind are made at once to catch up (at
 * most `burst` in a row, then the next turn of the timers: a receiver
 * takes a long burst worse than a late one); none is made early. Timers wake
 * at best once a millisecond, so at rates above 1,000/s the sends due go out
 * in small bursts. At interval 0 every send is due at once, so it goes in
 * bursts of `burst` (32 by default), each followed by a turn of the event
 * loop: a receiver on the same event loop gets its turn to read, where sends
 * that complete at once would never let it.
 *
 * A send that fails with a full buffer (`ENOBUFS`, which a loaded interface
 * gives to UDP senders, or `EAGAIN`) is counted and passed over; any other
 * failure ends the pacing.
 *
 * @example Five sends, 10 ms apart
 * ```ts
 * import { pace } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const times: number[] = [];
 * const result = await pace(5, () => {
 *   times.push(performance.now());
 * }, { interval: 10 });
 * assertEquals([result.sent, result.failed], [5, 0]);
 * assertEquals(times.length, 5);
 * ```
 *
 * @module
 */

import { delay } from "./_abort.ts";

/** Sends in a row, when behind the schedule, before a turn of the event loop. */
const DEFAULT_BURST = 32;

/** Options for {@linkcode pace}. */
export interface PaceOptions {
  /** Milliseconds between one send's due time and the next; `0`: no pause. */
  interval: number;
  /** Stops the pacing: {@linkcode pace} then resolves with what it did. */
  signal?: AbortSignal;
  /**
   * Sends made in a row, without a turn of the event loop, when behind the
   * schedule (at interval 0, always): at least 1; `Infinity` never yields,
   * which starves anything else on the event loop while sends complete at
   * once. @default {32}
   */
  burst?: number;
  /**
   * Decides whether a failed send is counted and passed over (`true`) or
   * ends the pacing with its error (`false`). @default {isBufferFull}
   */
  tolerate?: (error: unknown) => boolean;
  /** The clock, in ms. @default {() => performance.now()} */
  now?: () => number;
}

/** What {@linkcode pace} did. */
export interface PaceResult {
  /** Sends that succeeded. */
  sent: number;
  /** Sends that failed and were passed over. */
  failed: number;
  /** Milliseconds from the first send's start to the last one's. */
  elapsed: number;
  /** Sends (made or failed) per second over `elapsed`; `0` for fewer than two. */
  rate: number;
  /** Whether `signal` stopped the pacing before every send was made. */
  stopped: boolean;
}

/**
 * Whether a send failed only because a buffer was full: `ENOBUFS` (an
 * interface's queue) or `EAGAIN` (the socket's own buffer).
 *
 * @param error What a send threw.
 * @returns `true` for a full buffer.
 *
 * @example ENOBUFS
 * ```ts
 * import { isBufferFull } from "@beejnet/beejnet";
 * import { assert } from "@std/assert";
 *
 * const error = Object.assign(new Error("No buffer space available"), {
 *   code: "ENOBUFS",
 * });
 * assert(isBufferFull(error));
 * assert(!isBufferFull(new Error("Network is unreachable")));
 * ```
 */
export function isBufferFull(error: unknown): boolean {
  if (error instanceof Deno.errors.WouldBlock) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOBUFS" || code === "EAGAIN";
}

/**
 * Call `send(0)` … `send(count − 1)`, each at its due time.
 *
 * @param count How many sends.
 * @param send Makes send `index`; a throw or rejection is a failed send.
 * @param options The interval, a stop signal, which failures to tolerate.
 * @returns How many sends were made and failed, over how long.
 * @throws {RangeError} When `count`, `interval` or `burst` is out of range
 *   (a rejection, before any send).
 * @throws {unknown} The error of a send that `tolerate` refuses.
 *
 * @example Count a full buffer and go on
 * ```ts
 * import { pace } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const result = await pace(3, (index) => {
 *   if (index === 1) throw Object.assign(new Error("full"), { code: "ENOBUFS" });
 * }, { interval: 0 });
 * assertEquals([result.sent, result.failed], [2, 1]);
 * ```
 */
export async function pace(
  count: number,
  send: (index: number) => Promise<unknown> | void,
  options: PaceOptions,
): Promise<PaceResult> {
  const { interval, signal } = options;
  const tolerate = options.tolerate ?? isBufferFull;
  const now = options.now ?? (() => performance.now());
  if (!(Number.isSafeInteger(count) && count >= 0)) {
    throw new RangeError(`Count "${count}" is not a non-negative integer`);
  }
  if (!(Number.isFinite(interval) && interval >= 0)) {
    throw new RangeError(`Interval "${interval}" is not a non-negative number`);
  }
  const burst = options.burst ?? DEFAULT_BURST;
  if (!(burst >= 1)) {
    throw new RangeError(`Burst "${burst}" is not at least 1`);
  }
  const sleep = async (ms: number): Promise<void> => {
    try {
      await delay(ms, { signal });
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  };
  let sent = 0, failed = 0, first = 0, last = 0, inRow = 0;
  const start = now();
  for (let index = 0; index < count && !signal?.aborted; index++) {
    const due = start + index * interval;
    let wait = due - now();
    if (wait <= 0 && inRow >= burst) {
      await sleep(0);
      inRow = 0;
    }
    for (; wait > 0 && !signal?.aborted; wait = due - now()) {
      await sleep(Math.ceil(wait));
      inRow = 0;
    }
    if (signal?.aborted) break;
    inRow++;
    const began = now();
    if (index === 0) first = began;
    last = began;
    try {
      await send(index);
      sent++;
    } catch (error) {
      if (!tolerate(error)) throw error;
      failed++;
    }
  }
  const done = sent + failed;
  const elapsed = last - first;
  return {
    sent,
    failed,
    elapsed,
    rate: done > 1 && elapsed > 0 ? ((done - 1) * 1000) / elapsed : 0,
    stopped: done < count,
  };
}
