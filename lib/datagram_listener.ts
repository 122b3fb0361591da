/**
 * Receive datagrams on a UDP port: Beej's `listener.c` with a buffer large
 * enough for any datagram, any number of datagrams from any number of peers,
 * and a clean stop. See {@linkcode listenForDatagrams}; UDP needs Deno's
 * `--unstable-net`.
 *
 * @module
 */

import {
  bindCandidates,
  bindFirst,
  isMappedPeer,
  requireDatagrams,
} from "./_bind.ts";
import { guardTrace, isThenable } from "./_callbacks.ts";
import { running } from "./_running.ts";
import {
  checkFamily,
  checkFunction,
  checkOptions,
  checkPort,
  checkPositiveInteger,
  checkSignal,
  checkString,
} from "./_check.ts";
import { DATAGRAM_BUFFER_SIZE } from "./constants.ts";
import type { IpFamily } from "./ip.ts";
import type { Trace } from "./trace.ts";
import { tracerFor } from "./errors.ts";

/**
 * Options for {@linkcode listenForDatagrams}. The callbacks may be async:
 * the next datagram is received once the promise settles. A callback that
 * throws, or whose promise rejects, stops the listener (see
 * {@linkcode listenForDatagrams}).
 */
export interface ListenForDatagramsOptions {
  /**
   * The port, an integer 0-65535; `0` for any free port (read the real one
   * from `addr`). @default {0}
   */
  port?: number;
  /** The address or name to bind; `::` (dual-stack), else `0.0.0.0`. */
  hostname?: string;
  /** Only this family; with `6`, IPv4 datagrams are dropped. @default {0} */
  family?: IpFamily | 0;
  /**
   * Stop after this many datagrams, a positive integer; by default (or
   * `Infinity`) receive until `close()` or `signal`. @default {Infinity}
   */
  count?: number;
  /**
   * Stops the listener, as {@linkcode DatagramListener.close} does.
   * Already aborted, {@linkcode listenForDatagrams} rejects with its
   * `reason`.
   */
  signal?: AbortSignal;
  /** Decides, synchronously, whether a peer's datagram is kept; refused ones are dropped. */
  accept?: (peer: Deno.NetAddr) => boolean;
  /**
   * Hand `onDatagram` a view of the receive buffer instead of a copy: no
   * allocation per datagram, but the bytes are valid only until the callback
   * returns (or its promise settles). @default {false}
   */
  reuseBuffer?: boolean;
  /**
   * Called for each datagram kept, with its bytes and sender; a promise it
   * returns is awaited before the next datagram is received.
   */
  onDatagram: (
    data: Uint8Array<ArrayBuffer>,
    peer: Deno.NetAddr,
  ) => void;
  /**
   * Called for each datagram dropped by `accept` or `family: 6`, with its
   * size; a promise it returns is awaited before the next receive.
   */
  onRefused?: (peer: Deno.NetAddr, bytes: number) => void;
  /**
   * Receives each socket call as it is made: the socket's making, each
   * `recvfrom()`, the `close()` (see {@linkcode TraceEvent}). Nothing is
   * traced, at no cost, without it.
   */
  trace?: Trace;
}

/**
 * A running datagram listener. `await using` closes it at the end of the
 * scope.
 */
export interface DatagramListener extends AsyncDisposable {
  /** The address the socket is bound to, with the real port. */
  readonly addr: Deno.NetAddr;
  /**
   * Resolves to the number of datagrams delivered, once `count` arrived or
   * the listener was closed (`close()`, `signal`), with the socket closed.
   * Rejects, with the socket closed, when receiving fails or with what a
   * callback threw (or its promise rejected with), as it was thrown. A
   * rejection nobody awaits does not end the process.
   */
  readonly finished: Promise<number>;
  /**
   * Stop receiving and close the socket, as aborting `signal` does; a
   * callback's promise in progress is waited for. Calling it again changes
   * nothing.
   *
   * @returns A promise that resolves when the socket is closed; it does not
   *   reject (a failure is `finished`'s to report).
   */
  close(): Promise<void>;
}

/**
 * Bind a UDP socket and deliver each datagram to `onDatagram`, one at a time
 * (an async callback is awaited before the next receive), until `count`
 * datagrams were delivered or the listener is closed by `close()`, the end of
 * an `await using` scope or `signal`.
 *
 * A callback that throws, or whose promise rejects, is the listener's
 * failure: the socket is closed and `finished` rejects with that error,
 * unchanged. Nothing is thrown into the event loop.
 *
 * UDP needs Deno's unstable networking APIs: run Deno with `--unstable-net`
 * (or `"unstable": ["net"]` in `deno.json`), else it throws
 * {@linkcode UnstableNetError}.
 *
 * @param options Where to listen, how many datagrams, and the callbacks. The
 *   port defaults to `0` (any free port), the count to no limit.
 * @returns The running listener: its address, a `finished` promise and
 *   `close()`.
 * @throws {UnstableNetError} When Deno runs without `--unstable-net`.
 * @throws {TypeError} When an option has the wrong type or `onDatagram` is
 *   missing.
 * @throws {RangeError} When `port` is not an integer 0-65535, `family` not
 *   0, 4 or 6, or `count` not a positive integer (or `Infinity`).
 * @throws {BindError} When no candidate address could be bound.
 * @throws {ResolveError} When `hostname` does not resolve.
 * @throws {Deno.errors.NotCapable} When the net permission is missing.
 * @throws {unknown} `signal.reason`, when `signal` is aborted already or
 *   while the listener starts; nothing is left bound.
 *
 * @example Receive one datagram
 * ```ts
 * import { listenForDatagrams } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const got: string[] = [];
 * const listener = await listenForDatagrams({
 *   hostname: "127.0.0.1",
 *   count: 1,
 *   onDatagram: (data) => {
 *     got.push(new TextDecoder().decode(data));
 *   },
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
 *
 * @example Receive until the scope ends
 * ```ts
 * import { listenForDatagrams } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const { promise: arrived, resolve } = Promise.withResolvers<string>();
 * await using listener = await listenForDatagrams({
 *   hostname: "127.0.0.1",
 *   onDatagram: async (data) => {
 *     resolve(await new Blob([data]).text());
 *   },
 * });
 * const socket = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * await socket.send(new TextEncoder().encode("hello"), listener.addr);
 * socket.close();
 * assertEquals(await arrived, "hello");
 * ```
 */
export async function listenForDatagrams(
  options: ListenForDatagramsOptions,
): Promise<DatagramListener> {
  checkOptions("listenForDatagrams()", options, true);
  checkPort(options.port);
  const port = options.port ?? 0;
  checkString("hostname", options.hostname);
  checkFamily(options.family);
  checkPositiveInteger("count", options.count, true);
  checkSignal(options.signal);
  checkFunction("onDatagram", options.onDatagram, true);
  for (const name of ["accept", "onRefused", "trace"] as const) {
    checkFunction(name, options[name]);
  }
  requireDatagrams();
  const count = options.count ?? Infinity;
  const signal = options.signal;
  signal?.throwIfAborted();
  // The first failure of a callback; until the loop runs, only recorded.
  let failure: { error: unknown } | undefined;
  let fail = (error: unknown): void => {
    failure ??= { error };
  };
  // Tracing costs nothing when off: its module is not even loaded. A trace
  // that throws is a failure like any callback's, never thrown in here.
  const trace = options.trace && guardTrace(options.trace, (e) => fail(e));
  const tracer = await tracerFor(options.trace, (e) => fail(e));
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
  // Aborted while resolving, or a trace that threw: as if before the start.
  if (failure || signal?.aborted) {
    socket.close();
    throw failure ? failure.error : signal!.reason;
  }
  const refuseMapped = options.family === 6;
  const copy = !options.reuseBuffer;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    socket.close();
  };
  fail = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    stop();
  };
  signal?.addEventListener("abort", stop, { once: true });

  const receiveLoop = async (): Promise<number> => {
    const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
    let delivered = 0;
    try {
      while (delivered < count && !stopping) {
        let data: Uint8Array<ArrayBuffer>;
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
          const refused = options.onRefused?.(peer, data.length);
          if (isThenable(refused)) await refused;
          continue;
        }
        delivered++;
        const handled = options.onDatagram(copy ? data.slice() : data, peer);
        if (isThenable(handled)) await handled;
      }
    } catch (error) {
      fail(error);
    } finally {
      signal?.removeEventListener("abort", stop);
      stop();
    }
    if (failure) throw failure.error;
    return delivered;
  };

  return running(socket.addr as Deno.NetAddr, receiveLoop(), stop);
}
