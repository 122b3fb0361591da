/**
 * Send one datagram to the first resolved address that takes it: Beej's
 * `talker.c`, with a size check instead of a silent failure and an optional
 * wait for the peer's reply (the guide's connected-datagram note).
 *
 * @module
 */

import { abortable } from "@std/async/abortable";
import { openSender, senderTrace } from "./_sender.ts";
import {
  DATAGRAM_BUFFER_SIZE,
  DEFAULT_UDP_PORT,
  MAX_UDP_PAYLOAD_IPV4,
  MAX_UDP_PAYLOAD_IPV6,
} from "./constants.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  MessageSizeError,
  SendError,
  TimeoutError,
} from "./errors.ts";
import { sameAddress } from "./ip.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";

/** Options for {@linkcode sendDatagram}. */
export interface SendDatagramOptions {
  /** The port to send to. @default {4950} */
  port?: number;
  /** After sending, wait this many ms for one reply from the peer. */
  replyTimeout?: number;
  /** Stops the wait for a reply: `sendDatagram()` rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Called once the datagram is sent, before any wait for a reply, with the
   * addresses that failed before it (as in {@linkcode SentDatagram}).
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
  reply?: { data: Uint8Array; peer: Deno.NetAddr };
}

/**
 * The largest payload one UDP datagram carries over a family.
 *
 * @param family `4` or `6`.
 * @returns 65,507 for IPv4, 65,527 for IPv6.
 *
 * @example IPv4
 * ```ts
 * import { maxPayload } from "./send_datagram.ts";
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
 * one rule of {@linkcode sendDatagram} and `sendNumbered`.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param size The datagram's size in bytes.
 * @param details How {@linkcode MessageSizeError} names the size, for a
 *   numbered datagram.
 * @returns At least one address.
 * @throws {SendError} When there is no address at all.
 * @throws {MessageSizeError} When the datagram fits in no address's family.
 *
 * @example An IPv4 address takes less than an IPv6 one
 * ```ts
 * import { fittingAddresses } from "./send_datagram.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const v4 = { address: "127.0.0.1", family: 4 } as const;
 * const v6 = { address: "::1", family: 6 } as const;
 * assertEquals(fittingAddresses([v4, v6], 65_520), [v6]);
 * ```
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
 * Send `message` as one datagram to the first address that takes it.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param message The payload, sent whole or not at all.
 * @param options The port, the reply wait and the failure callbacks.
 * @returns Where it went, how many bytes, and the reply if one was awaited.
 * @throws {MessageSizeError} When the message fits in no datagram of the
 *   addresses' families (a `RangeError`).
 * @throws {BindError} When no socket could be made for any address
 *   (`talker: failed to create socket`); `failures` says why for each.
 * @throws {SendError} When every send failed; `failures` lists every address
 *   that failed, at making its socket or at sending.
 * @throws {TimeoutError} When a reply was awaited and none came.
 *
 * @example Send to a local socket
 * ```ts
 * import { sendDatagram } from "./send_datagram.ts";
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
 */
export async function sendDatagram(
  addresses: readonly ResolvedAddress[],
  message: Uint8Array,
  options: SendDatagramOptions = {},
): Promise<SentDatagram> {
  const port = options.port ?? DEFAULT_UDP_PORT;
  const fitting = fittingAddresses(addresses, message.length);
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
      options.onSent?.(address, bytes, failures);
      const reply = options.replyTimeout === undefined
        ? undefined
        : await receiveReply(socket, address, port, {
          timeout: options.replyTimeout,
          signal: options.signal,
        });
      return { address, bytes, failures, reply };
    } finally {
      socket.close();
    }
  }
  throw sendFailed ? new SendError(failures) : new BindError(failures);
}

async function receiveReply(
  socket: Deno.DatagramConn,
  address: ResolvedAddress,
  port: number,
  { timeout, signal }: { timeout: number; signal?: AbortSignal },
): Promise<{ data: Uint8Array; peer: Deno.NetAddr }> {
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
      throw new TimeoutError(
        `No reply within ${s} second${s === 1 ? "" : "s"}`,
      );
    }
    const peer = addr as Deno.NetAddr;
    if (sameAddress(peer.hostname, address.address) && peer.port === port) {
      return { data: data.slice(), peer };
    }
  }
}
