// Private to lib/: lib/happy_eyeballs.ts's race, in its own module so that
// a one-shot client given an address never loads it (bench/STARTUP.md).

import { CONNECTION_ATTEMPT_DELAY } from "./constants.ts";
import { isThenable } from "./_check.ts";
import {
  type AddressFailure,
  ConnectError,
  isPermissionError,
} from "./errors.ts";
import {
  type Connected,
  type ConnectFirstOptions,
  interleaveFamilies,
} from "./happy_eyeballs.ts";
import type { ResolvedAddress } from "./resolve.ts";

/** Why the attempts still in flight are stopped when one connects. */
const LOST = new DOMException("Another attempt connected first", "AbortError");

function defaultConnect(
  address: ResolvedAddress,
  port: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: address.address, port, signal });
}

/**
 * `connectFirst()`'s race of several attempts (lib/happy_eyeballs.ts says
 * the timing), loaded on its first use: one address without a timeout or
 * callbacks never needs it.
 *
 * @param addresses The addresses, in resolver order.
 * @param options `connectFirst()`'s options, checked.
 * @returns The first connection, and the attempts that failed before it.
 */
export function connectRace(
  addresses: readonly ResolvedAddress[],
  options: ConnectFirstOptions,
): Promise<Connected> {
  const ordered = interleaveFamilies(addresses);
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
    // A user's callback: its throw or rejection ends the race with it.
    const fail = (error: unknown): void => {
      if (done) return;
      finish();
      reject(error);
    };
    const call = (callback: () => unknown): boolean => {
      try {
        const result = callback();
        // Any thenable: its rejection is the race's failure.
        if (isThenable(result)) Promise.resolve(result).catch(fail);
        return true;
      } catch (error) {
        fail(error);
        return false;
      }
    };
    // Start the next attempt of the list: when the previous one failed, or
    // when the attempt delay after it ran out, whichever comes first.
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
      if (!call(() => options.onAttempt?.(address))) return;
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
        if (call(() => options.onFailure?.(address, error))) startNext();
      });
      if (next < ordered.length) timer = setTimeout(startNext, delay);
    };
    const attempt = async (address: ResolvedAddress): Promise<Deno.TcpConn> => {
      const controller = new AbortController();
      attempts.add(controller);
      try {
        const connecting = connect(address, options.port, controller.signal);
        if (options.timeout === undefined) return await connecting;
        // Loaded only for a deadline: a one-shot client pays for each module.
        // (A failure while it loads is handled: deadline() sees it after.)
        connecting.catch(() => {});
        const { deadline } = await import("./_abort.ts");
        return await deadline(connecting, options.timeout);
      } catch (error) {
        if (!(error instanceof DOMException && error.name === "TimeoutError")) {
          throw error;
        }
        controller.abort(error);
        throw new DOMException("Connection timed out", "TimeoutError");
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
