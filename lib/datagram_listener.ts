/**
 * Receive datagrams on a UDP port: Beej's `listener.c` with a buffer large
 * enough for any datagram, any number of datagrams from any number of peers,
 * and a clean stop.
 *
 * @module
 */

import { bindCandidates, bindFirst, isMappedPeer } from "./_bind.ts";
import { DATAGRAM_BUFFER_SIZE, DEFAULT_UDP_PORT } from "./constants.ts";
import type { IpFamily } from "./ip.ts";
import type { Trace } from "./trace.ts";
import { tracerFor } from "./errors.ts";

/** Options for {@linkcode listenForDatagrams}. */
export interface ListenForDatagramsOptions {
  /** The port; `0` for any free port. @default {4950} */
  port?: number;
  /** The address or name to bind; `::` (dual-stack), else `0.0.0.0`. */
  hostname?: string;
  /** Only this family; with `6`, IPv4 datagrams are dropped. @default {0} */
  family?: IpFamily | 0;
  /** Stop after this many datagrams; `Infinity` to go on until `signal`. @default {1} */
  count?: number;
  /** Stops the listener. */
  signal?: AbortSignal;
  /** Decides whether a peer's datagram is kept; refused ones are dropped. */
  accept?: (peer: Deno.NetAddr) => boolean;
  /**
   * Hand `onDatagram` a view of the receive buffer instead of a copy: no
   * allocation per datagram, but the bytes are valid only until the callback
   * returns. @default {false}
   */
  reuseBuffer?: boolean;
  /** Called for each datagram kept, with its bytes and sender. */
  onDatagram: (data: Uint8Array, peer: Deno.NetAddr) => void;
  /** Called for each datagram dropped by `accept` or `family: 6`. */
  onRefused?: (peer: Deno.NetAddr, bytes: number) => void;
  /**
   * Receives each socket call as it is made: the socket's making, each
   * `recvfrom()`, the `close()` (see `trace.ts`). Nothing is traced, at no
   * cost, without it.
   */
  trace?: Trace;
}

/** A running datagram listener. */
export interface DatagramListener {
  /** The address the socket is bound to, with the real port. */
  readonly addr: Deno.NetAddr;
  /**
   * Resolves to the number of datagrams delivered, once `count` arrived or
   * `signal` aborted; rejects when receiving fails.
   */
  readonly finished: Promise<number>;
}

/**
 * Bind a UDP socket and deliver each datagram to `onDatagram`.
 *
 * @param options Where to listen, how many datagrams, and the callbacks.
 * @returns The running listener: its address and a `finished` promise.
 * @throws {BindError} When no candidate address could be bound.
 * @throws {ResolveError} When `hostname` does not resolve.
 *
 * @example Receive one datagram
 * ```ts
 * import { listenForDatagrams } from "./datagram_listener.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const got: string[] = [];
 * const listener = await listenForDatagrams({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   onDatagram: (data) => got.push(new TextDecoder().decode(data)),
 * });
 * const socket = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * await socket.send(new TextEncoder().encode("hi"), listener.addr);
 * socket.close();
 * assertEquals(await listener.finished, 1);
 * assertEquals(got, ["hi"]);
 * ```
 */
export async function listenForDatagrams(
  options: ListenForDatagramsOptions,
): Promise<DatagramListener> {
  const port = options.port ?? DEFAULT_UDP_PORT;
  const count = options.count ?? 1;
  const signal = options.signal;
  signal?.throwIfAborted();
  // Tracing costs nothing when off: its module is not even loaded.
  const trace = options.trace;
  const tracer = await tracerFor(trace);
  const candidates = await bindCandidates(
    options,
    trace && { trace, port, type: "SOCK_DGRAM" },
  );
  const socket = bindFirst(
    candidates,
    (hostname) =>
      tracer?.listenDatagram({ hostname, port }, true) ??
        Deno.listenDatagram({ hostname, port, transport: "udp" }),
  );
  const refuseMapped = options.family === 6;
  const copy = !options.reuseBuffer;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    socket.close();
  };
  signal?.addEventListener("abort", stop, { once: true });

  const receiveLoop = async (): Promise<number> => {
    const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
    let delivered = 0;
    try {
      while (delivered < count) {
        let data: Uint8Array;
        let addr: Deno.Addr;
        try {
          [data, addr] = await socket.receive(buffer);
        } catch (error) {
          if (stopping) break;
          throw error;
        }
        const peer = addr as Deno.NetAddr;
        if (
          (refuseMapped && isMappedPeer(peer.hostname)) ||
          (options.accept && !options.accept(peer))
        ) {
          options.onRefused?.(peer, data.length);
          continue;
        }
        delivered++;
        options.onDatagram(copy ? data.slice() : data, peer);
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      if (!stopping) {
        stopping = true;
        socket.close();
      }
    }
    return delivered;
  };

  return { addr: socket.addr as Deno.NetAddr, finished: receiveLoop() };
}
