/**
 * Send a run of numbered datagrams (see {@linkcode writeNumberedHeader}) to
 * the first resolved address that takes the first of them, all from one
 * socket, paced on an absolute schedule (see {@linkcode pace}): what a
 * receiver needs to count what was lost on the way.
 *
 * @module
 */

import { openSender, senderTrace } from "./_sender.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  SendError,
} from "./errors.ts";
import {
  MAX_SEQUENCE,
  NUMBERED_HEADER_SIZE,
  wallClock,
  writeNumberedHeader,
} from "./numbered_datagram.ts";
import { isBufferFull, pace } from "./pace.ts";
import type { ResolvedAddress } from "./resolve.ts";
import { fittingAddresses } from "./send_datagram.ts";
import type { Trace } from "./trace.ts";

/** Options for {@linkcode sendNumbered}. */
export interface SendNumberedOptions {
  /** The port to send to; there is no default. */
  port: number;
  /** How many datagrams, numbered from 0. @default {1} */
  count?: number;
  /** Milliseconds between one datagram's due time and the next. @default {0} */
  interval?: number;
  /**
   * Each datagram's size in bytes, the header included: the payload is
   * followed by zero bytes up to it. @default {20 + payload length}
   */
  size?: number;
  /**
   * Datagrams sent in a row when the run fell behind its schedule (see
   * {@linkcode pace}): a receiver's buffer takes a long burst worse than a
   * late datagram. @default {4 ms' worth, at least 10; unlimited at interval 0}
   */
  burst?: number;
  /** Stops the run; {@linkcode sendNumbered} then resolves with what it did. */
  signal?: AbortSignal;
  /**
   * Receives each socket call: the `socket()`, each `sendto()`, the
   * `close()` (see `trace.ts`). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
  /**
   * Called once the first datagram went out, with the addresses given up
   * before this one.
   */
  onStart?: (
    address: ResolvedAddress,
    failures: readonly AddressFailure[],
  ) => void;
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
  /** Addresses given up before this one, in order. */
  failures: readonly AddressFailure[];
}

/**
 * Send `count` numbered datagrams carrying `payload`, one socket for all.
 * An address is given up only when no socket can be made for it or its
 * first datagram fails for another reason than a full buffer; once one
 * datagram went, every failed send is counted and passed over.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param payload What follows the header in every datagram.
 * @param options Port, count, pacing, size, stop signal.
 * @returns Where the run went and how many datagrams went or failed.
 * @throws {RangeError} When `size` cannot hold the header and `payload`, or
 *   `count` is outside 1 to 2³².
 * @throws {MessageSizeError} When `size` fits in no datagram of the
 *   addresses' families (its message names the datagram's size, not the
 *   payload's).
 * @throws {BindError} When no socket could be made.
 * @throws {SendError} When the first datagram failed at every address.
 *
 * @example Three datagrams to a local socket
 * ```ts
 * import { sendNumbered } from "./send_numbered.ts";
 * import { readNumberedHeader } from "./numbered_datagram.ts";
 * import { assertEquals } from "@std/assert/equals";
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
 * const seqs = [];
 * for (let i = 0; i < 3; i++) {
 *   const [data] = await socket.receive();
 *   seqs.push(readNumberedHeader(data)?.seq);
 * }
 * socket.close();
 * assertEquals(seqs, [0, 1, 2]);
 * ```
 */
export async function sendNumbered(
  addresses: readonly ResolvedAddress[],
  payload: Uint8Array,
  options: SendNumberedOptions,
): Promise<SentNumbered> {
  const { port } = options;
  const count = options.count ?? 1;
  const size = options.size ?? NUMBERED_HEADER_SIZE + payload.length;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_SEQUENCE + 1)) {
    throw new RangeError(`Count "${count}" is not in 1-${MAX_SEQUENCE + 1}`);
  }
  if (size < NUMBERED_HEADER_SIZE + payload.length) {
    throw new RangeError(
      `Message is ${payload.length} bytes: a numbered datagram of ${size} bytes holds at most ${
        Math.max(0, size - NUMBERED_HEADER_SIZE)
      }`,
    );
  }
  const fitting = fittingAddresses(addresses, size, {
    header: NUMBERED_HEADER_SIZE,
    padded: size > NUMBERED_HEADER_SIZE + payload.length,
  });
  const interval = options.interval ?? 0;
  const burst = options.burst ??
    (interval > 0 ? Math.max(10, Math.ceil(4 / interval)) : Infinity);
  const datagram = new Uint8Array(size);
  datagram.set(payload, NUMBERED_HEADER_SIZE);
  const traced = await senderTrace(options.trace);
  const failures: AddressFailure[] = [];
  let sendFailed = false;
  for (const address of fitting) {
    const opened = openSender(address, traced);
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
        writeNumberedHeader(datagram, { seq, sentAt: wallClock() });
        try {
          await socket.send(datagram, to);
        } catch (error) {
          if (firstError === undefined) firstError = error;
          throw error;
        }
        if (!started) {
          started = true;
          options.onStart?.(address, failures);
        }
      }, {
        interval,
        burst,
        signal: options.signal,
        tolerate: (error) =>
          !isPermissionError(error) && (started || isBufferFull(error)),
      });
      return {
        address,
        bytes: size,
        ...result,
        ...(result.failed > 0 ? { firstError } : {}),
        failures,
      };
    } catch (error) {
      if (isPermissionError(error)) throw error;
      failures.push({ address: address.address, error, call: "sendto" });
      sendFailed = true;
    } finally {
      socket.close();
    }
  }
  throw sendFailed ? new SendError(failures) : new BindError(failures);
}
