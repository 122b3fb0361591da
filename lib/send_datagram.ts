/**
 * Send one datagram to the first resolved address that takes it: Beej's
 * `talker.c`, with a size check instead of a silent failure and an optional
 * wait for the peer's reply (the guide's connected-datagram note).
 *
 * @module
 */

import { bindFirst } from "./_bind.ts";
import { MAX_UDP_PAYLOAD_IPV4, MAX_UDP_PAYLOAD_IPV6 } from "./constants.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  TimeoutError,
} from "./errors.ts";
import { sameAddress } from "./ip.ts";
import type { ResolvedAddress } from "./resolve.ts";
import { DATAGRAM_BUFFER_SIZE, DEFAULT_UDP_PORT } from "./constants.ts";

/** Options for {@linkcode sendDatagram}. */
export interface SendDatagramOptions {
  /** The port to send to. @default {4950} */
  port?: number;
  /** After sending, wait this many ms for one reply from the peer. */
  replyTimeout?: number;
  /** Called when no socket could be made for an address (the next is tried). */
  onSocketError?: (address: ResolvedAddress, error: unknown) => void;
  /** Called once the datagram is sent, before any wait for a reply. */
  onSent?: (address: ResolvedAddress, bytes: number) => void;
  /** Called when sending to an address fails (the next is tried). */
  onSendError?: (address: ResolvedAddress, error: unknown) => void;
}

/** What {@linkcode sendDatagram} did. */
export interface SentDatagram {
  /** The address the datagram went to. */
  address: ResolvedAddress;
  /** How many bytes were sent. */
  bytes: number;
  /** The reply, when one was awaited. */
  reply?: { data: Uint8Array; peer: Deno.NetAddr };
}

/**
 * Every address failed at sending (`talker: sendto`).
 *
 * @example Inspect the failures
 * ```ts
 * import { SendError } from "./send_datagram.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SendError([]).failures.length, 0);
 * ```
 */
export class SendError extends Error {
  /** Each address tried, with its error. */
  readonly failures: readonly AddressFailure[];
  /**
   * Make the error from the failures.
   *
   * @param failures Each address tried, with its error.
   */
  constructor(failures: readonly AddressFailure[]) {
    super(
      `Cannot send: ${failures.length} address${
        failures.length === 1 ? "" : "es"
      } tried`,
    );
    this.name = "SendError";
    this.failures = failures;
  }
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
 * import assert from "node:assert/strict";
 *
 * assert.equal(maxPayload(4), 65_507);
 * ```
 */
export function maxPayload(family: 4 | 6): number {
  return family === 4 ? MAX_UDP_PAYLOAD_IPV4 : MAX_UDP_PAYLOAD_IPV6;
}

/**
 * Send `message` as one datagram to the first address that takes it.
 *
 * @param addresses Resolved addresses, in resolver order.
 * @param message The payload, sent whole or not at all.
 * @param options The port, the reply wait and the failure callbacks.
 * @returns Where it went, how many bytes, and the reply if one was awaited.
 * @throws {RangeError} When the message fits in no datagram of the
 *   addresses' families.
 * @throws {BindError} When no socket could be made (`talker: failed to
 *   create socket`).
 * @throws {SendError} When every send failed.
 * @throws {TimeoutError} When a reply was awaited and none came.
 *
 * @example Send to a local socket
 * ```ts
 * import { sendDatagram } from "./send_datagram.ts";
 * import assert from "node:assert/strict";
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
 * assert.equal(sent.bytes, 2);
 * assert.equal(new TextDecoder().decode(data), "hi");
 * ```
 */
export async function sendDatagram(
  addresses: readonly ResolvedAddress[],
  message: Uint8Array,
  options: SendDatagramOptions = {},
): Promise<SentDatagram> {
  const port = options.port ?? DEFAULT_UDP_PORT;
  if (addresses.length === 0) throw new SendError([]);
  const fitting = addresses.filter((a) =>
    message.length <= maxPayload(a.family)
  );
  if (fitting.length === 0) {
    const family = addresses.some((a) => a.family === 6) ? 6 : 4;
    throw new RangeError(
      `Message is ${message.length} bytes: at most ${
        maxPayload(family)
      } fit in one IPv${family} datagram`,
    );
  }
  const socketFailures: AddressFailure[] = [];
  const sendFailures: AddressFailure[] = [];
  for (const address of fitting) {
    let socket: Deno.DatagramConn;
    try {
      socket = bindFirst(
        [address.family === 4 ? "0.0.0.0" : "::"],
        (hostname) =>
          Deno.listenDatagram({ hostname, port: 0, transport: "udp" }),
      );
    } catch (error) {
      const cause = error instanceof BindError
        ? error.failures[0]!.error
        : error;
      if (isPermissionError(cause)) throw cause;
      socketFailures.push({ address: address.address, error: cause });
      options.onSocketError?.(address, cause);
      continue;
    }
    try {
      const bytes = await socket.send(message, {
        transport: "udp",
        hostname: address.address,
        port,
      });
      options.onSent?.(address, bytes);
      const reply = options.replyTimeout === undefined
        ? undefined
        : await receiveReply(socket, address, port, options.replyTimeout);
      return { address, bytes, reply };
    } catch (error) {
      if (error instanceof TimeoutError || isPermissionError(error)) {
        throw error;
      }
      sendFailures.push({ address: address.address, error });
      options.onSendError?.(address, error);
    } finally {
      socket.close();
    }
  }
  if (sendFailures.length === 0) throw new BindError(socketFailures);
  throw new SendError(sendFailures);
}

async function receiveReply(
  socket: Deno.DatagramConn,
  address: ResolvedAddress,
  port: number,
  timeout: number,
): Promise<{ data: Uint8Array; peer: Deno.NetAddr }> {
  const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new TimeoutError(`No reply within ${timeout / 1000} seconds`)),
      timeout,
    );
  });
  try {
    while (true) {
      const receiving = socket.receive(buffer);
      receiving.catch(() => {});
      const [data, addr] = await Promise.race([receiving, expired]);
      const peer = addr as Deno.NetAddr;
      if (sameAddress(peer.hostname, address.address) && peer.port === port) {
        return { data: data.slice(), peer };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
