/**
 * Connect to the first of several addresses that answers, racing the
 * attempts as RFC 8305 ("Happy Eyeballs v2") describes: see
 * {@linkcode connectFirst} for the timing.
 *
 * @module
 */

import {
  checkFunction,
  checkMilliseconds,
  checkOptions,
  checkPort,
  checkSignal,
  wrongType,
} from "./_check.ts";
import {
  type AddressFailure,
  ConnectError,
  isPermissionError,
  tracerFor,
} from "./errors.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";

/**
 * Order addresses for racing (RFC 8305 section 4): start with the family of
 * the first address, then alternate families, keeping the resolver's order
 * within each family.
 *
 * @param addresses Addresses in resolver order.
 * @returns The same addresses, interleaved by family.
 *
 * @example Interleave two families
 * ```ts
 * import { interleaveFamilies } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const order = interleaveFamilies([
 *   { address: "::1", family: 6 },
 *   { address: "::2", family: 6 },
 *   { address: "127.0.0.1", family: 4 },
 * ]).map((a) => a.address);
 * assertEquals(order, ["::1", "127.0.0.1", "::2"]);
 * ```
 */
export function interleaveFamilies<T extends { family: number }>(
  addresses: readonly T[],
): T[] {
  const first = addresses[0];
  if (!first) return [];
  const same = addresses.filter((a) => a.family === first.family);
  const other = addresses.filter((a) => a.family !== first.family);
  const ordered: T[] = [];
  for (let i = 0; i < Math.max(same.length, other.length); i++) {
    if (i < same.length) ordered.push(same[i]!);
    if (i < other.length) ordered.push(other[i]!);
  }
  return ordered;
}

/** Options for {@linkcode connectFirst}. */
export interface ConnectFirstOptions {
  /** The port to connect to: an integer 0-65535. */
  port: number;
  /**
   * How long one attempt may take, in ms (finite, not negative); none by
   * default. An attempt that takes longer fails with a `TimeoutError`
   * DOMException, and the next starts.
   */
  timeout?: number;
  /**
   * RFC 8305's Connection Attempt Delay: how long after one attempt started
   * the next one starts while the first has not answered, in ms (finite, not
   * negative). @default {250}
   */
  attemptDelay?: number;
  /** Aborts every attempt. */
  signal?: AbortSignal;
  /**
   * Called as each attempt starts, for live progress. Not awaited; if it
   * throws or its promise rejects before a connection won, the attempts are
   * stopped and {@linkcode connectFirst} rejects with that error.
   */
  onAttempt?: (address: ResolvedAddress) => void | Promise<void>;
  /**
   * Called as each attempt fails, in the order they fail, for live progress.
   * The same failures are in `failures` afterwards. Not awaited; a throw or
   * rejection is handled as `onAttempt`'s.
   */
  onFailure?: (
    address: ResolvedAddress,
    error: unknown,
  ) => void | Promise<void>;
  /**
   * Receives each attempt's socket calls as they are made, with the timing
   * when attempts race, and then the winning connection's reads and close
   * (see `trace.ts`). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
  /**
   * How each attempt connects: given the address, the port and a signal that
   * aborts when the attempt is given up (another won, its timeout passed, or
   * `signal` aborted), it resolves with the connection or rejects with why
   * it failed. `Deno.connect({ hostname, port, signal })` by default; give
   * your own to connect through a proxy, bind a source address, or set
   * socket options before the race is decided.
   */
  connect?: (
    address: ResolvedAddress,
    port: number,
    signal: AbortSignal,
  ) => Promise<Deno.TcpConn>;
}

/** The connection that won, and where it goes. */
export interface Connected {
  /** The open connection. */
  conn: Deno.TcpConn;
  /** The address it is connected to. */
  address: ResolvedAddress;
  /** The attempts that failed before it, in the order they failed. */
  failures: readonly AddressFailure[];
}

function defaultConnect(
  address: ResolvedAddress,
  port: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: address.address, port, signal });
}

// One address, no deadline and no callbacks, the common case of a one-shot
// client given an IP address: nothing to race or cancel but through the
// caller's signal.
async function connectOne(
  address: ResolvedAddress,
  options: ConnectFirstOptions,
): Promise<Connected> {
  const signal = options.signal;
  signal?.throwIfAborted();
  try {
    const conn = options.connect
      ? await options.connect(
        address,
        options.port,
        signal ?? new AbortController().signal,
      )
      : await Deno.connect({
        hostname: address.address,
        port: options.port,
        signal,
      });
    return { conn, address, failures: [] };
  } catch (error) {
    if (isPermissionError(error) || options.signal?.aborted) throw error;
    throw new ConnectError([{ address: address.address, error }]);
  }
}

/**
 * Connect to the first address that accepts, racing the attempts as RFC 8305
 * ("Happy Eyeballs v2") section 5 describes. The addresses are interleaved
 * by family ({@linkcode interleaveFamilies}: the family of the first, then
 * the other, alternating; resolver order within each). Each attempt of that
 * list starts a Connection Attempt Delay (`attemptDelay`, 250 ms by default)
 * after the previous one started, or at once when the previous one failed,
 * whatever the families: a stalled first address, IPv4 or IPv6, costs the
 * delay, not its time-out. Several attempts may be in flight; the first to
 * connect wins, and the others are aborted (one that still connects is
 * closed). Every failure is in the result (or the error) afterwards, in the
 * order the attempts failed, and live through `onFailure`.
 *
 * A single address with no `timeout` is simply connected to. A callback
 * that throws, or whose promise rejects, before a connection won stops
 * every attempt and is what this rejects with; no socket is left open.
 *
 * @param addresses Addresses in resolver order.
 * @param options The port, timing, callbacks and how to connect.
 * @returns The winning connection; the other attempts are cancelled.
 * @throws {ConnectError} When every address failed (or none was given); its
 *   `failures` lists each, in the order they failed.
 * @throws {TypeError} When an option has the wrong type (a port that is not
 *   a number, a signal that is not an `AbortSignal`, a callback that is not
 *   a function), or `addresses` is not an array; before any attempt.
 * @throws {RangeError} When `port` is not an integer 0-65535, or
 *   `attemptDelay` or `timeout` is not a finite number of ms, 0 or more;
 *   before any attempt.
 * @throws {Deno.errors.NotCapable} When the net permission is missing.
 * @throws {unknown} The signal's reason (by default a DOMException named
 *   `AbortError`) when `signal` aborts first, or was aborted already.
 *
 * @example Connect to a local listener
 * ```ts
 * import { connectFirst } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { conn, address } = await connectFirst(
 *   [{ address: "127.0.0.1", family: 4 }],
 *   { port: listener.addr.port },
 * );
 * (await listener.accept()).close();
 * conn.close();
 * assertEquals(address.address, "127.0.0.1");
 * ```
 *
 * @example A stalled first address costs the attempt delay, not its time-out
 * ```ts
 * import { connectFirst, type ResolvedAddress } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const started: string[] = [];
 * const { conn, address } = await connectFirst([
 *   { address: "127.0.0.2", family: 4 }, // never answers
 *   { address: "127.0.0.1", family: 4 },
 * ], {
 *   port: listener.addr.port,
 *   attemptDelay: 20,
 *   connect: (to: ResolvedAddress, port: number, signal: AbortSignal) => {
 *     started.push(to.address);
 *     if (to.address === "127.0.0.1") {
 *       return Deno.connect({ hostname: to.address, port, signal });
 *     }
 *     return new Promise<Deno.TcpConn>((_, reject) =>
 *       signal.addEventListener("abort", () => reject(signal.reason))
 *     );
 *   },
 * });
 * (await listener.accept()).close();
 * conn.close();
 * assertEquals(address.address, "127.0.0.1");
 * assertEquals(started, ["127.0.0.2", "127.0.0.1"]);
 * ```
 */
export function connectFirst(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): Promise<Connected> {
  const invalid = invalidOptions(addresses, options);
  if (invalid) return Promise.reject(invalid);
  if (options.trace) return connectTraced(addresses, options);
  if (
    addresses.length === 1 && options.timeout === undefined &&
    !options.onAttempt && !options.onFailure
  ) {
    return connectOne(addresses[0]!, options);
  }
  // The race is its own module, loaded on first use: one address without a
  // timeout or callbacks (a one-shot client given an address) never needs
  // it, and code loaded costs start-up even when it never runs
  // (bench/STARTUP.md).
  return import("./_connect_race.ts").then((m) =>
    m.connectRace(addresses, options)
  );
}

/**
 * A TypeError for an option of the wrong type, a RangeError for a port,
 * delay or timeout out of range, else none.
 */
function invalidOptions(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): TypeError | RangeError | undefined {
  try {
    if (!Array.isArray(addresses)) {
      wrongType("addresses", "an array", addresses);
    }
    checkOptions("connectFirst()", options, true);
    checkPort(options.port, true);
    checkMilliseconds("attemptDelay", options.attemptDelay);
    checkMilliseconds("timeout", options.timeout);
    checkSignal(options.signal);
    for (
      const name of ["onAttempt", "onFailure", "connect", "trace"] as const
    ) {
      checkFunction(name, options[name]);
    }
  } catch (error) {
    return error as TypeError | RangeError;
  }
  return undefined;
}

// connectFirst() with each attempt traced: the same race, through a
// connector that records every attempt (loaded only when tracing).
async function connectTraced(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): Promise<Connected> {
  // A trace that throws (or rejects) fails the connect with its own error,
  // not as an address's failure, once the race is decided; the connection
  // it made is closed.
  let failure: { error: unknown } | undefined;
  const tracer = await tracerFor(
    options.trace,
    (error) => failure ??= { error },
  );
  const race = addresses.length > 1;
  let connected: Connected;
  try {
    connected = await connectFirst(addresses, {
      ...options,
      trace: undefined,
      connect: tracer?.connector(options.connect ?? defaultConnect, race),
    });
  } catch (error) {
    throw failure ? failure.error : error;
  }
  if (failure) {
    connected.conn.close();
    throw failure.error;
  }
  return connected;
}
