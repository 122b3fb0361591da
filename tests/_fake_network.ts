// Helpers shared by the tests of `connectFirst()` (tests/happy_eyeballs_test.ts,
// tests/happy_eyeballs_abort_test.ts): addresses of each family, a fake
// network for its `connect` option, and a recorder of its callbacks.

import { assert } from "@std/assert";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { deadline } from "./_util.ts";

export const v4 = (address: string): ResolvedAddress => ({
  address,
  family: 4,
});
export const v6 = (address: string): ResolvedAddress => ({
  address,
  family: 6,
});

/** What a fake connection attempt to one address does. */
export type Plan =
  /** Fail with `error`, after `after` ms (at once by default). */
  | { fail: unknown; after?: number }
  /** Succeed with a real loopback connection. */
  | { succeed: true }
  /** Never settle; reject with the signal's reason when it aborts. */
  | { hang: true }
  /** Wait for the test to call `succeed()` or `fail()`; ignore the signal. */
  | { manual: true };

/** One call of the fake `connect`. */
export interface Attempt {
  address: ResolvedAddress;
  port: number;
  signal: AbortSignal;
  /** Settle a manual attempt with a new real connection. */
  succeed(): Promise<Deno.TcpConn>;
  /** Settle a manual attempt with an error. */
  fail(error: unknown): void;
}

/**
 * A fake network for `connectFirst()`'s `connect` option. Each address
 * follows its plan; every start, failure, success and abort is logged in
 * `events`, so tests assert the order of what happened rather than times.
 * Winning connections are real TCP connections to a loopback listener.
 */
export class FakeNetwork implements AsyncDisposable {
  readonly events: string[] = [];
  readonly attempts: Attempt[] = [];
  readonly #plans: Record<string, Plan>;
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #peers: Deno.TcpConn[] = [];
  readonly #work = new Set<Promise<unknown>>();
  #wake: (() => void)[] = [];

  constructor(plans: Record<string, Plan>) {
    this.#plans = plans;
  }

  /** The `connect` option. */
  readonly connect = (
    address: ResolvedAddress,
    port: number,
    signal: AbortSignal,
  ): Promise<Deno.TcpConn> => {
    const name = address.address;
    const plan = this.#plans[name];
    assert(plan, `no plan for ${name}`);
    this.events.push(`start ${name}`);
    const { promise, resolve, reject } = Promise.withResolvers<
      Deno.TcpConn
    >();
    const succeed = (): Promise<Deno.TcpConn> =>
      this.#track(
        this.open().then((conn) => {
          this.events.push(`win ${name}`);
          resolve(conn);
          return conn;
        }),
      );
    const fail = (error: unknown): void => {
      this.events.push(`fail ${name}`);
      reject(error);
    };
    this.attempts.push({ address, port, signal, succeed, fail });
    for (const wake of this.#wake.splice(0)) wake();
    if ("manual" in plan) {
      signal.addEventListener("abort", () => this.events.push(`abort ${name}`));
    } else if ("hang" in plan) {
      signal.addEventListener("abort", () => {
        this.events.push(`abort ${name}`);
        reject(signal.reason);
      });
    } else if ("succeed" in plan) {
      succeed();
    } else if (plan.after === undefined) {
      fail(plan.fail);
    } else {
      this.#track(
        new Promise<void>((done) =>
          setTimeout(() => {
            fail(plan.fail);
            done();
          }, plan.after)
        ),
      );
    }
    return promise;
  };

  /** A new real connection; its peer is closed when the fake is disposed. */
  async open(): Promise<Deno.TcpConn> {
    const accepting = this.#listener.accept();
    const conn = await Deno.connect({ port: this.#listener.addr.port });
    this.#peers.push(await accepting);
    return conn;
  }

  /** The server side of the `i`th connection `open()` made. */
  peer(i: number): Deno.TcpConn {
    return this.#peers[i]!;
  }

  /** Wait until attempt `i` (from 0) has started. */
  async attempt(i: number): Promise<Attempt> {
    await deadline(
      (async () => {
        while (this.attempts.length <= i) {
          await new Promise<void>((wake) => this.#wake.push(wake));
        }
      })(),
      `attempt ${i}`,
    );
    return this.attempts[i]!;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#work.add(promise);
    promise.finally(() => this.#work.delete(promise)).catch(() => {});
    return promise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled(this.#work);
    for (const peer of this.#peers) peer.close();
    this.#listener.close();
  }
}

/** Collects `onAttempt` and `onFailure` calls. */
export function recorder(): {
  attempted: string[];
  failures: [string, unknown][];
  onAttempt: (address: ResolvedAddress) => void;
  onFailure: (address: ResolvedAddress, error: unknown) => void;
} {
  const attempted: string[] = [];
  const failures: [string, unknown][] = [];
  return {
    attempted,
    failures,
    onAttempt: (address) => attempted.push(address.address),
    onFailure: (address, error) => failures.push([address.address, error]),
  };
}
