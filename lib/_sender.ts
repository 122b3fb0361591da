// Private to lib/: the socket a datagram sender sends from.

import { bindFirst, requireDatagrams } from "./_bind.ts";
import {
  type AddressFailure,
  BindError,
  isPermissionError,
  tracerFor,
} from "./errors.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";
import type { Tracer } from "./_trace_calls.ts";

/**
 * The tracer of a sender: tracing costs nothing when off. A throw or
 * rejection of the trace callback goes to `onError`, for the sender to end
 * with it once its socket is closed.
 */
export function senderTrace(
  trace: Trace | undefined,
  onError: (error: unknown) => void,
): Promise<Tracer | undefined> {
  return tracerFor(trace, onError);
}

/**
 * A socket to send to `address` from: port 0 on the wildcard of its
 * family, as the runtime binds every UDP socket. When none can be made, the
 * failure, for the caller to try the next address. A permission error is
 * thrown: no other address would do better, and so is an
 * `UnstableNetError` when Deno runs without `--unstable-net`.
 */
export function openSender(
  address: ResolvedAddress,
  traced?: Tracer,
): { socket: Deno.DatagramConn } | { failure: AddressFailure } {
  requireDatagrams();
  try {
    const socket = bindFirst(
      [address.family === 4 ? "0.0.0.0" : "::"],
      (hostname) =>
        traced?.listenDatagram({ hostname, port: 0 }, false) ??
          Deno.listenDatagram({ hostname, port: 0, transport: "udp" }),
    );
    return { socket };
  } catch (error) {
    const cause = error instanceof BindError ? error.failures[0]!.error : error;
    if (isPermissionError(cause)) throw cause;
    return {
      failure: { address: address.address, error: cause, call: "socket" },
    };
  }
}

/**
 * A numbered datagram's header length in bytes, in both versions of the
 * format (lib/numbered_datagram.ts): its payload starts here. Here, beside
 * the sender's socket, so that `talker` checks a size without loading the
 * numbered-datagram modules.
 */
export const NUMBERED_HEADER_SIZE = 20;

/** How a payload fits a numbered datagram of a given size. */
export interface NumberedFit {
  /** The datagram's size in bytes, header included. */
  size: number;
  /** Bytes of payload that size holds after the header; 0 if none. */
  room: number;
  /** Whether the header and the payload fit in `size`. */
  fits: boolean;
  /** Whether zero bytes follow the payload up to `size`. */
  padded: boolean;
}

/**
 * The one rule of what fits a numbered datagram: the header, then the
 * payload, then zero bytes up to `size`.
 *
 * @param payloadBytes The payload's length.
 * @param size The datagram's size, header included; by default the header
 *   and the payload, no padding.
 */
export function numberedFit(
  payloadBytes: number,
  size: number = NUMBERED_HEADER_SIZE + payloadBytes,
): NumberedFit {
  const needed = NUMBERED_HEADER_SIZE + payloadBytes;
  return {
    size,
    room: Math.max(0, size - NUMBERED_HEADER_SIZE),
    fits: needed <= size,
    padded: needed < size,
  };
}
