/**
 * Send one datagram to the first resolved address that takes it: Beej's
 * `talker.c`, with a size check instead of a silent failure and an optional
 * wait for the peer's reply (the guide's connected-datagram note).
 *
 * @module
 */

import { abortable } from "./_abort.ts";
import { requireDatagrams } from "./_bind.ts";
import { openSender, senderTrace } from "./_sender.ts";
import {
  checkFunction,
  checkOptions,
  checkPort,
  checkSignal,
  checkTimeout,
  isThenable,
  wrongType,
} from "./_check.ts";
import {
  DATAGRAM_BUFFER_SIZE,
  MAX_UDP_PAYLOAD_IPV4,
  MAX_UDP_PAYLOAD_IPV6,
} from "./constants.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  MessageSizeError,
  SendError,
} from "./errors.ts";
import { sameAddress } from "./ip.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";

/** Options for {@linkcode sendDatagram}. */
export interface SendDatagramOptions {
  /**
   * The port to send to, an integer from 0 to 65535. Port 0 is left to the
   * system, which refuses to send there: every address then fails at
   * `sendto` (a {@linkcode SendError}).
   */
  port: number;
  /**
   * After sending, wait this many ms (more than 0, at most 2147483647) for
   * one reply from the peer, from the address and port sent to; without it,
   * no reply is awaited.
   */
  replyTimeout?: number;
  /**
   * Stops the send: aborted before it, nothing is sent; while waiting for a
   * reply, the wait ends. Either way `sendDatagram()` rejects with the
   * signal's reason and closes its socket.
   */
  signal?: AbortSignal;
  /**
   * Called once the datagram is sent, before any wait for a reply, with the
   * addresses that failed before it (as in {@linkcode SentDatagram}). It
   * may be async: a promise it returns is awaited before any wait for a
   * reply. What it throws or rejects with, `sendDatagram()` rejects with
   * (its socket closed).
   */
  onSent?: (
    address: ResolvedAddress,
    bytes: number,
    failures: readonly AddressFailure[],
  ) => void;
  /**
   * Receives each socket call as it is made: each socket's making, the
   * `sendto()`, the reply's `recvfrom()`, the `close()` (see `trace.ts`).
   * Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
}

/** What {@linkcode sendDatagram} did. */
export interface SentDatagram {
  /** The address the datagram went to. */
  address: ResolvedAddress;
  /** How many bytes were sent. */
  bytes: number;
  /**
   * The addresses tried before it that failed: no socket could be made for
   * them, or the send failed. Empty in the common case.
   */
  failures: readonly AddressFailure[];
  /** The reply, when one was awaited. */
  reply?: { data: Uint8Array<ArrayBuffer>; peer: Deno.NetAddr };
}

/**
 * The largest payload one UDP datagram carries over a family.
 *
 * @param family `4` or `6`.
 * @returns 65,507 for IPv4, 65,527 for IPv6.
 *
 * @example IPv4
 * ```ts
 * import { maxPayload } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(maxPayload(4), 65_507);
 * ```
 */
export function maxPayload(family: 4 | 6): number {
  return family === 4 ? MAX_UDP_PAYLOAD_IPV4 : MAX_UDP_PAYLOAD_IPV6;
}

/**
 * The addresses a datagram of `size` bytes fits to, in their order: the
 * one rule of {@linkcode sendDatagram} and `sendNumbered`. Internal to the
 * library (not exported by the package).
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param size The datagram's size in bytes.
 * @param details How {@linkcode MessageSizeError} names the size, for a
 *   numbered datagram.
 * @returns At least one address.
 * @throws {SendError} When there is no address at all.
 * @throws {MessageSizeError} When the datagram fits in no address's family.
 */
export function fittingAddresses(
  addresses: readonly ResolvedAddress[],
  size: number,
  details: { header?: number; padded?: boolean } = {},
): ResolvedAddress[] {
  if (addresses.length === 0) throw new SendError([]);
  const fitting = addresses.filter((a) => size <= maxPayload(a.family));
  if (fitting.length === 0) {
    const family = addresses.some((a) => a.family === 6) ? 6 : 4;
    throw new MessageSizeError(size, maxPayload(family), family, details);
  }
  return fitting;
}

/**
 * Send `message` as one datagram to the first address that takes it: each
 * address in turn gets a socket of its own family (port 0 on the family's
 * wildcard address) and one `sendto()`; an address whose socket cannot be
 * made, or whose send fails, is recorded in `failures` and the next one is
 * tried. Addresses the message is too large for are skipped. Datagram
 * sockets need Deno's `net` unstable API: run Deno with `--unstable-net`
 * (or `"unstable": ["net"]` in `deno.json`), else it throws
 * {@linkcode UnstableNetError} before any socket is made.
 *
 * With `replyTimeout`, it then waits on the same socket for one datagram
 * from the address and port it sent to (datagrams from anywhere else are
 * ignored), as Beej's guide suggests for a connected datagram socket.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param message The payload, sent whole or not at all.
 * @param options The port, the reply wait and the callbacks.
 * @returns Where it went, how many bytes, and the reply if one was awaited.
 * @throws {UnstableNetError} When Deno runs without `--unstable-net`.
 * @throws {TypeError} When an option has the wrong type (a port that is not
 *   a number, a signal that is not an `AbortSignal`), or `addresses` is not
 *   an array.
 * @throws {RangeError} When `port` is not an integer 0-65535 (a
 *   negative port included), or `replyTimeout` is not more than 0 and at
 *   most 2147483647.
 * @throws {MessageSizeError} When the message fits in no datagram of the
 *   addresses' families (a `RangeError`).
 * @throws {BindError} When no socket could be made for any address;
 *   `failures` says why for each.
 * @throws {SendError} When every send failed; `failures` lists every address
 *   that failed, at making its socket (`call: "socket"`) or at sending
 *   (`call: "sendto"`).
 * @throws {DOMException} A `DOMException` named `"TimeoutError"` when a
 *   reply was awaited and none came within `replyTimeout` (its message
 *   says `No reply within 0.5 seconds`).
 * @throws {unknown} The signal's reason, when `signal` aborts before the
 *   send or during the wait for a reply (an already aborted signal
 *   included), and what `onSent` throws.
 * @throws {Deno.errors.NotCapable} When the net permission is missing.
 *
 * @example Send to a local socket
 * ```ts
 * import { sendDatagram } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const socket = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * const sent = await sendDatagram(
 *   [{ address: "127.0.0.1", family: 4 }],
 *   new TextEncoder().encode("hi"),
 *   { port: (socket.addr as Deno.NetAddr).port },
 * );
 * const [data] = await socket.receive();
 * socket.close();
 * assertEquals(sent.bytes, 2);
 * assertEquals(new TextDecoder().decode(data), "hi");
 * ```
 *
 * @example Wait for a reply, and tell a timeout by its name
 * ```ts
 * import { sendDatagram } from "@beejnet/beejnet";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * // A socket that receives but never answers.
 * const silent = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * const error = await assertRejects(() =>
 *   sendDatagram(
 *     [{ address: "127.0.0.1", family: 4 }],
 *     new TextEncoder().encode("anyone?"),
 *     { port: (silent.addr as Deno.NetAddr).port, replyTimeout: 100 },
 *   )
 * );
 * silent.close();
 * assertEquals((error as DOMException).name, "TimeoutError");
 * assertEquals((error as DOMException).message, "No reply within 0.1 seconds");
 * ```
 *
 * @example A port out of range is a RangeError
 * ```ts
 * import { sendDatagram } from "@beejnet/beejnet";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(
 *   () =>
 *     sendDatagram([{ address: "127.0.0.1", family: 4 }], new Uint8Array(1), {
 *       port: -1,
 *     }),
 *   RangeError,
 * );
 * ```
 */
export async function sendDatagram(
  addresses: readonly ResolvedAddress[],
  message: Uint8Array,
  options: SendDatagramOptions,
): Promise<SentDatagram> {
  if (!Array.isArray(addresses)) wrongType("addresses", "an array", addresses);
  if (!(message instanceof Uint8Array)) {
    wrongType("message", "a Uint8Array", message);
  }
  checkOptions("sendDatagram()", options, true);
  checkPort(options.port, true);
  const { port, replyTimeout, signal, onSent } = options;
  checkTimeout("replyTimeout", replyTimeout);
  checkSignal(signal);
  checkFunction("onSent", onSent);
  checkFunction("trace", options.trace);
  requireDatagrams();
  signal?.throwIfAborted();
  const fitting = fittingAddresses(addresses, message.length);
  // A trace callback that throws ends the send with its own error.
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
    try {
      let bytes: number;
      try {
        bytes = await socket.send(message, {
          transport: "udp",
          hostname: address.address,
          port,
        });
      } catch (error) {
        if (isPermissionError(error)) throw error;
        failures.push({ address: address.address, error, call: "sendto" });
        sendFailed = true;
        continue;
      }
      // Whatever the callback or the wait throws is theirs, not sendto's.
      const called: unknown = onSent?.(address, bytes, failures);
      if (isThenable(called)) await called;
      const reply = replyTimeout === undefined
        ? undefined
        : await receiveReply(socket, address, port, {
          timeout: replyTimeout,
          signal,
        });
      if (traceFailure()) throw traceFailure()!.error;
      return { address, bytes, failures, reply };
    } finally {
      socket.close();
    }
  }
  if (traceFailure()) throw traceFailure()!.error;
  throw sendFailed ? new SendError(failures) : new BindError(failures);
}

async function receiveReply(
  socket: Deno.DatagramConn,
  address: ResolvedAddress,
  port: number,
  { timeout, signal }: { timeout: number; signal?: AbortSignal },
): Promise<{ data: Uint8Array<ArrayBuffer>; peer: Deno.NetAddr }> {
  const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
  const expired = AbortSignal.timeout(timeout);
  const stop = signal ? AbortSignal.any([signal, expired]) : expired;
  while (true) {
    let data: Uint8Array;
    let addr: Deno.Addr;
    try {
      [data, addr] = await abortable(socket.receive(buffer), stop);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!expired.aborted) throw error;
      const s = timeout / 1000;
      throw new DOMException(
        `No reply within ${s} second${s === 1 ? "" : "s"}`,
        "TimeoutError",
      );
    }
    const peer = addr as Deno.NetAddr;
    if (sameAddress(peer.hostname, address.address) && peer.port === port) {
      return { data: data.slice(), peer };
    }
  }
}
