/**
 * Connect to the first of several addresses that answers. Addresses of one
 * family are tried one after another in resolver order; when a name has both
 * families, the attempts are raced as RFC 8305 ("Happy Eyeballs v2")
 * describes: families interleaved, a new attempt started every 250 ms or as
 * soon as the previous one fails, the first connection wins.
 *
 * @module
 */

import { CONNECTION_ATTEMPT_DELAY } from "./constants.ts";
import {
  type AddressFailure,
  ConnectError,
  isPermissionError,
  TimeoutError,
} from "./errors.ts";
import type { ResolvedAddress } from "./resolve.ts";
import type { Trace } from "./trace.ts";
import { tracerFor } from "./errors.ts";

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
 * import { interleaveFamilies } from "./happy_eyeballs.ts";
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
  /** The port to connect to. */
  port: number;
  /** How long one attempt may take, in ms; none by default. */
  timeout?: number;
  /** Delay before the next raced attempt starts, in ms. @default {250} */
  attemptDelay?: number;
  /** Aborts every attempt. */
  signal?: AbortSignal;
  /** Called as each attempt starts, for live progress (`client -v`). */
  onAttempt?: (address: ResolvedAddress) => void;
  /**
   * Called as each attempt fails, in the order they fail, for live progress
   * (`client -v`). The same failures are in `failures` afterwards.
   */
  onFailure?: (address: ResolvedAddress, error: unknown) => void;
  /**
   * Receives each attempt's socket calls as they are made, with the timing
   * when attempts race, and then the winning connection's reads and close
   * (see `trace.ts`). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
  /** Makes one connection; `Deno.connect` by default. For tests. */
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

// One address and no deadline, the common case of a one-shot client given an
// IP address: nothing to race or cancel but through the caller's signal.
async function connectOne(
  address: ResolvedAddress,
  options: ConnectFirstOptions,
): Promise<Connected> {
  const signal = options.signal;
  signal?.throwIfAborted();
  options.onAttempt?.(address);
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
    options.onFailure?.(address, error);
    throw new ConnectError([{ address: address.address, error }]);
  }
}

/**
 * Connect to the first address that accepts. Every address is tried until
 * one succeeds; the failures are in the result (or the error) afterwards,
 * and live through `onFailure`.
 *
 * @param addresses Addresses in resolver order.
 * @param options The port, timeouts and callbacks.
 * @returns The winning connection; the other attempts are cancelled.
 * @throws {ConnectError} When every address failed; its `failures` lists
 *   each, in the order they failed.
 * @throws {Deno.errors.NotCapable} When the net permission is missing.
 * @throws {DOMException} An `AbortError` when `signal` aborts first.
 *
 * @example Connect to a local listener
 * ```ts
 * import { connectFirst } from "./happy_eyeballs.ts";
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
 */
export function connectFirst(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): Promise<Connected> {
  if (options.trace) return connectTraced(addresses, options);
  if (addresses.length === 1 && options.timeout === undefined) {
    return connectOne(addresses[0]!, options);
  }
  const race = new Set(addresses.map((a) => a.family)).size > 1;
  const ordered = race ? interleaveFamilies(addresses) : [...addresses];
  const delay = options.attemptDelay ?? CONNECTION_ATTEMPT_DELAY;
  const connect = options.connect ?? defaultConnect;
  const failures: AddressFailure[] = [];
  const attempts = new Set<AbortController>();

  return new Promise<Connected>((resolve, reject) => {
    let next = 0;
    let pending = 0;
    let done = false;
    // Timers are touched only when needed: the first use of the timer API
    // costs a one-shot client milliseconds (measured in bench/).
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = (reason?: unknown): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      for (const attempt of attempts) attempt.abort(reason);
    };
    const onAbort = (): void => {
      if (done) return;
      finish(options.signal!.reason);
      reject(options.signal!.reason);
    };
    const startNext = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (done) return;
      const address = ordered[next++];
      if (!address) {
        if (pending === 0) {
          finish();
          reject(new ConnectError(failures));
        }
        return;
      }
      pending++;
      options.onAttempt?.(address);
      attempt(address).then((conn) => {
        pending--;
        if (done) {
          conn.close();
          return;
        }
        finish(LOST);
        resolve({ conn, address, failures });
      }, (error) => {
        pending--;
        if (done) return;
        if (isPermissionError(error)) {
          finish();
          reject(error);
          return;
        }
        failures.push({ address: address.address, error });
        options.onFailure?.(address, error);
        startNext();
      });
      if (race && next < ordered.length) timer = setTimeout(startNext, delay);
    };
    const attempt = async (address: ResolvedAddress): Promise<Deno.TcpConn> => {
      const controller = new AbortController();
      attempts.add(controller);
      try {
        const connecting = connect(address, options.port, controller.signal);
        if (options.timeout === undefined) return await connecting;
        // Loaded only for a deadline: a one-shot client pays for each module.
        const { deadline } = await import("@std/async/deadline");
        return await deadline(connecting, options.timeout);
      } catch (error) {
        if (!(error instanceof DOMException && error.name === "TimeoutError")) {
          throw error;
        }
        controller.abort(error);
        throw new TimeoutError("Connection timed out");
      } finally {
        attempts.delete(controller);
      }
    };

    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
    startNext();
  });
}

/** Why the attempts still in flight are stopped when one connects. */
const LOST = new DOMException("Another attempt connected first", "AbortError");

// connectFirst() with each attempt traced: the same race, through a
// connector that records every attempt (loaded only when tracing).
async function connectTraced(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): Promise<Connected> {
  const tracer = await tracerFor(options.trace);
  const race = new Set(addresses.map((a) => a.family)).size > 1;
  return await connectFirst(addresses, {
    ...options,
    trace: undefined,
    connect: tracer?.connector(options.connect ?? defaultConnect, race),
  });
}
