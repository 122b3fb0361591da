/**
 * Send a run of numbered datagrams (see {@linkcode writeNumberedHeader}) to
 * the first resolved address that takes the first of them, all from one
 * socket, paced on an absolute schedule (see {@linkcode pace}), closed by
 * end markers (see {@linkcode numberedEndMarker}): what a receiver needs to
 * count what was lost on the way, the tail included.
 *
 * @module
 */

import { delay } from "./_abort.ts";
import { requireDatagrams } from "./_bind.ts";
import {
  checkFunction,
  checkInteger,
  checkMilliseconds,
  checkOptions,
  checkPort,
  checkPositiveInteger,
  checkSignal,
  wrongType,
} from "./_check.ts";
import { numberedFit, openSender, senderTrace } from "./_sender.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  SendError,
} from "./errors.ts";
import {
  MAX_SEQUENCE,
  NUMBERED_HEADER_SIZE,
  numberedEndMarker,
  wallClock,
  writeNumberedHeader,
} from "./numbered_datagram.ts";
import { isBufferFull, pace } from "./pace.ts";
import type { ResolvedAddress } from "./resolve.ts";
import { fittingAddresses } from "./send_datagram.ts";
import type { Trace } from "./trace.ts";

/** Options for {@linkcode sendNumbered}. */
export interface SendNumberedOptions {
  /** The port to send to, an integer 0-65535; there is no default. */
  port: number;
  /** How many datagrams, numbered from 0: 1 to 2³². @default {1} */
  count?: number;
  /**
   * Milliseconds between one datagram's due time and the next: finite, not
   * negative. @default {0}
   */
  interval?: number;
  /**
   * Each datagram's size in bytes, the header included: the payload is
   * followed by zero bytes up to it. @default {20 + payload length}
   */
  size?: number;
  /**
   * Datagrams sent in a row, without a turn of the event loop, when the run
   * fell behind its schedule (see {@linkcode pace}; at interval 0, always):
   * a receiver's buffer takes a long burst worse than a late datagram, and a
   * receiver on the same event loop reads only between bursts. A positive
   * integer, or `Infinity`.
   * @default {4 ms' worth, at least 10; at interval 0, 32 or as many as fill
   * 64 KiB, whichever is fewer}
   */
  burst?: number;
  /**
   * Copies of the end marker sent after the run's last datagram (or when
   * `signal` stopped it), a millisecond or an interval apart (10 ms at
   * most): 0 to 16. With none, the headers are version 1 and a receiver
   * cannot see a loss after its last arrival; with some, version 2.
   * @default {3}
   */
  endMarkers?: number;
  /**
   * Stops the run: aborted during it, {@linkcode sendNumbered} resolves with
   * what it did (`stopped: true`); already aborted when it is called, it
   * rejects with the signal's reason and sends nothing.
   */
  signal?: AbortSignal;
  /**
   * Receives each socket call: the `socket()`, each `sendto()`, the
   * `close()` (see `trace.ts`). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
  /**
   * Called once the first datagram went out, with the addresses given up
   * before this one; awaited before the next datagram. If it throws or
   * rejects, the run stops, the socket is closed, and
   * {@linkcode sendNumbered} rejects with that error.
   */
  onStart?: (
    address: ResolvedAddress,
    failures: readonly AddressFailure[],
  ) => void | Promise<void>;
}

/** What {@linkcode sendNumbered} did. */
export interface SentNumbered {
  /** The address the run went to. */
  address: ResolvedAddress;
  /** The size of each datagram, header included. */
  bytes: number;
  /** Datagrams sent. */
  sent: number;
  /** Sends that failed and were passed over (a full buffer, or any after the first). */
  failed: number;
  /** The first failed send's error, when one failed. */
  firstError?: unknown;
  /** Milliseconds from the first send to the last. */
  elapsed: number;
  /** Sends per second over `elapsed`; `0` for fewer than two. */
  rate: number;
  /** Whether `signal` stopped the run early. */
  stopped: boolean;
  /** Copies of the end marker that went (failed ones are not counted). */
  endMarkers: number;
  /** Addresses given up before this one, in order. */
  failures: readonly AddressFailure[];
}

/**
 * Send `count` numbered datagrams carrying `payload`, one socket for all,
 * then `endMarkers` copies of the end marker, which tells the receivers how
 * many the run numbered (`sent + failed`) and was to number (`count`). An
 * address is given up only when no socket can be made for it or its first
 * datagram fails for another reason than a full buffer; once one datagram
 * went, every failed send is counted and passed over. At interval 0 the
 * datagrams go in bursts with a turn of the event loop between, so that a
 * receiver in the same program gets to read them.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param payload What follows the header in every datagram.
 * @param options Port, count, pacing, size, stop signal.
 * @returns Where the run went and how many datagrams went or failed; when
 *   `signal` aborted during the run, what it did, with `stopped: true`.
 * @throws {UnstableNetError} When Deno runs without `--unstable-net`.
 * @throws {TypeError} When an option has the wrong type (a port that is not
 *   a number, a signal that is not an `AbortSignal`, an `onStart` that is
 *   not a function), `addresses` is not an array or `payload` not a
 *   `Uint8Array`.
 * @throws {RangeError} When `size` cannot hold the header and `payload`, or
 *   `port` is not an integer 0-65535, `count` not an integer 1-4294967296,
 *   `interval` not a finite number of ms, 0 or more, `endMarkers` not an
 *   integer 0-16, `size` not an integer 0 or more, or `burst` not a
 *   positive integer nor `Infinity`; before any socket is made.
 * @throws {MessageSizeError} When `size` fits in no datagram of the
 *   addresses' families (its message names the datagram's size, not the
 *   payload's).
 * @throws {BindError} When no socket could be made.
 * @throws {SendError} When the first datagram failed at every address.
 * @throws {Deno.errors.NotCapable} When the net permission is missing.
 * @throws {unknown} The signal's reason, when `signal` was aborted before
 *   the call (nothing is sent); what `onStart` threw or rejected with.
 *
 * @example Three datagrams to a local socket
 * ```ts
 * import { readNumberedHeader, sendNumbered } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const socket = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * const sent = await sendNumbered(
 *   [{ address: "127.0.0.1", family: 4 }],
 *   new TextEncoder().encode("hi"),
 *   { port: (socket.addr as Deno.NetAddr).port, count: 3 },
 * );
 * assertEquals([sent.sent, sent.failed, sent.bytes], [3, 0, 22]);
 * const headers = [];
 * for (let i = 0; i < 4; i++) {
 *   const [data] = await socket.receive();
 *   headers.push(readNumberedHeader(data));
 * }
 * socket.close();
 * // The three datagrams, then the first end marker: "the run's last is 2".
 * assertEquals(headers.map((h) => h?.seq), [0, 1, 2, 2]);
 * assertEquals(headers[3]?.end, { count: 3, planned: 3 });
 * ```
 */
export async function sendNumbered(
  addresses: readonly ResolvedAddress[],
  payload: Uint8Array,
  options: SendNumberedOptions,
): Promise<SentNumbered> {
  if (!Array.isArray(addresses)) wrongType("addresses", "an array", addresses);
  if (!(payload instanceof Uint8Array)) {
    wrongType("payload", "a Uint8Array", payload);
  }
  checkOptions("sendNumbered()", options, true);
  const { port, signal } = options;
  checkPort(port, true);
  const count = options.count ?? 1;
  checkInteger("count", count, { min: 1, max: MAX_SEQUENCE + 1 });
  const interval = options.interval ?? 0;
  checkMilliseconds("interval", interval);
  const markers = options.endMarkers ?? 3;
  checkInteger("endMarkers", markers, { min: 0, max: 16 });
  checkInteger("size", options.size, { min: 0 });
  checkPositiveInteger("burst", options.burst, true);
  checkSignal(signal);
  checkFunction("onStart", options.onStart);
  checkFunction("trace", options.trace);
  const fit = numberedFit(payload.length, options.size);
  const { size } = fit;
  if (!fit.fits) {
    throw new RangeError(
      `Message is ${payload.length} bytes: a numbered datagram of ${size} bytes holds at most ${fit.room}`,
    );
  }
  requireDatagrams();
  // Aborted before the call: nothing was done to resolve with.
  signal?.throwIfAborted();
  const burst = options.burst ??
    (interval > 0
      ? Math.max(10, Math.ceil(4 / interval))
      : Math.max(1, Math.min(32, Math.floor(65_536 / size))));
  const fitting = fittingAddresses(addresses, size, {
    header: NUMBERED_HEADER_SIZE,
    padded: fit.padded,
  });
  const version = markers > 0 ? 2 : undefined;
  const datagram = new Uint8Array(size);
  datagram.set(payload, NUMBERED_HEADER_SIZE);
  // A trace callback that throws stops the run with its own error.
  let traceError: { error: unknown } | undefined;
  // A function, so that each check reads what the callback set meanwhile.
  const traceFailure = (): { error: unknown } | undefined => traceError;
  const traced = await senderTrace(
    options.trace,
    (error) => traceError ??= { error },
  );
  const failures: AddressFailure[] = [];
  let sendFailed = false;
  for (const address of fitting) {
    const opened = openSender(address, traced);
    if (traceFailure()) {
      if ("socket" in opened) opened.socket.close();
      throw traceFailure()!.error;
    }
    if ("failure" in opened) {
      failures.push(opened.failure);
      continue;
    }
    const { socket } = opened;
    const to: Deno.NetAddr = {
      transport: "udp",
      hostname: address.address,
      port,
    };
    let started = false;
    let firstError: unknown;
    try {
      const result = await pace(count, async (seq) => {
        writeNumberedHeader(datagram, { seq, sentAt: wallClock(), version });
        try {
          await socket.send(datagram, to);
        } catch (error) {
          if (firstError === undefined) firstError = error;
          throw error;
        }
        if (traceFailure()) throw new CallbackFailure(traceFailure()!.error);
        if (!started) {
          started = true;
          try {
            await options.onStart?.(address, failures);
          } catch (error) {
            throw new CallbackFailure(error);
          }
        }
      }, {
        interval,
        burst,
        signal,
        tolerate: (error) =>
          !(error instanceof CallbackFailure) && !isPermissionError(error) &&
          (started || isBufferFull(error)),
      });
      const numbered = result.sent + result.failed;
      const endMarkers = numbered === 0 ? 0 : await sendEndMarkers(
        socket,
        to,
        { count: numbered, planned: count },
        { markers, interval, signal },
      );
      if (traceFailure()) throw new CallbackFailure(traceFailure()!.error);
      return {
        address,
        bytes: size,
        ...result,
        ...(result.failed > 0 ? { firstError } : {}),
        failures,
        endMarkers,
      };
    } catch (error) {
      if (error instanceof CallbackFailure) throw error.error;
      if (isPermissionError(error)) throw error;
      failures.push({ address: address.address, error, call: "sendto" });
      sendFailed = true;
    } finally {
      socket.close();
    }
  }
  if (traceFailure()) throw traceFailure()!.error;
  throw sendFailed ? new SendError(failures) : new BindError(failures);
}

/** What the caller's `onStart` threw, carried out of the pacing untouched. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Send the end marker `markers` times, each a millisecond or an interval
 * (10 ms at most) after the one before, so that a receiver whose buffer the
 * run's last burst filled has drained it; all at once when the run was
 * stopped. Failed sends are passed over: how many went.
 */
async function sendEndMarkers(
  socket: Deno.DatagramConn,
  to: Deno.NetAddr,
  end: { count: number; planned: number },
  options: { markers: number; interval: number; signal?: AbortSignal },
): Promise<number> {
  const { markers, signal } = options;
  const gap = Math.min(10, Math.max(1, options.interval));
  let sent = 0;
  for (let i = 0; i < markers; i++) {
    if (!signal?.aborted) await delay(gap, { signal }).catch(() => {});
    try {
      await socket.send(numberedEndMarker(end), to);
      sent++;
    } catch {
      // Like a lost copy: the others may still arrive.
    }
  }
  return sent;
}
