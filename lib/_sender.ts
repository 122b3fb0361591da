// Private to lib/: the socket a datagram sender sends from.

import { bindFirst } from "./_bind.ts";
import { type AddressFailure, BindError, isPermissionError } from "./errors.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";
import type { Tracer } from "./_trace_calls.ts";
import { tracerFor } from "./errors.ts";

/** The tracer of a sender: tracing costs nothing when off. */
export function senderTrace(
  trace: Trace | undefined,
): Promise<Tracer | undefined> {
  return tracerFor(trace);
}

/**
 * A socket to send to `address` from: port 0 on the wildcard of its
 * family, as the runtime binds every UDP socket. When none can be made, the
 * failure, for the caller to try the next address. A permission error is
 * thrown: no other address would do better.
 */
export function openSender(
  address: ResolvedAddress,
  traced?: Tracer,
): { socket: Deno.DatagramConn } | { failure: AddressFailure } {
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
