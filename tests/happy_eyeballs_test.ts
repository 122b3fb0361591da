import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  fail,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { ConnectError } from "../lib/errors.ts";
import { connectFirst, interleaveFamilies } from "../lib/happy_eyeballs.ts";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { assertRejectsExactly, deadline, freeTcpPort } from "./_util.ts";

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/** What a fake connection attempt to one address does. */
type Plan =
  /** Fail with `error`, after `after` ms (at once by default). */
  | { fail: unknown; after?: number }
  /** Succeed with a real loopback connection. */
  | { succeed: true }
  /** Never settle; reject with the signal's reason when it aborts. */
  | { hang: true }
  /** Wait for the test to call `succeed()` or `fail()`; ignore the signal. */
  | { manual: true };

/** One call of the fake `connect`. */
interface Attempt {
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
class FakeNetwork implements AsyncDisposable {
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
function recorder(): {
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

// interleaveFamilies

Deno.test("interleaveFamilies() alternates families: v6, v6, v4 becomes v6, v4, v6", () => {
  const order = interleaveFamilies([v6("::1"), v6("::2"), v4("127.0.0.1")]);
  assertEquals(order.map((a) => a.address), ["::1", "127.0.0.1", "::2"]);
});

Deno.test("interleaveFamilies() starts with IPv4 when the resolver put it first", () => {
  const order = interleaveFamilies([
    v4("10.0.0.1"),
    v4("10.0.0.2"),
    v6("::1"),
    v6("::2"),
  ]);
  assertEquals(
    order.map((a) => a.address),
    ["10.0.0.1", "::1", "10.0.0.2", "::2"],
  );
});

Deno.test("interleaveFamilies() appends what is left of the larger family in order", () => {
  const order = interleaveFamilies([
    v6("::1"),
    v6("::2"),
    v6("::3"),
    v4("10.0.0.1"),
  ]);
  assertEquals(
    order.map((a) => a.address),
    ["::1", "10.0.0.1", "::2", "::3"],
  );
});

Deno.test("interleaveFamilies() leaves a single family unchanged", () => {
  const addresses = [v4("10.0.0.3"), v4("10.0.0.1"), v4("10.0.0.2")];
  assertEquals(interleaveFamilies(addresses), addresses);
});

Deno.test("interleaveFamilies() returns an empty list for no addresses", () => {
  assertEquals(interleaveFamilies([]), []);
});

Deno.test("interleaveFamilies() does not modify its argument", () => {
  const addresses = Object.freeze([v6("::1"), v6("::2"), v4("127.0.0.1")]);
  interleaveFamilies(addresses);
  assertEquals(addresses.map((a) => a.address), [
    "::1",
    "::2",
    "127.0.0.1",
  ]);
});

// connectFirst with an injected connect

Deno.test("connectFirst() tries a single family in order, the next at once when the one before fails", async () => {
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: new Error("refused 1"), after: 20 },
    "10.0.0.2": { fail: new Error("refused 2"), after: 20 },
    "10.0.0.3": { succeed: true },
  });
  // An attempt delay far longer than each failure: each next attempt
  // starts as the one before fails, never waiting for the delay.
  const { conn, address } = await deadline(
    connectFirst([v4("10.0.0.1"), v4("10.0.0.2"), v4("10.0.0.3")], {
      port: 3490,
      attemptDelay: 60_000,
      connect: net.connect,
    }),
    "connectFirst (a minute's attemptDelay must not be waited for)",
  );
  conn.close();
  assertStrictEquals(address.address, "10.0.0.3");
  assertEquals(net.events, [
    "start 10.0.0.1",
    "fail 10.0.0.1",
    "start 10.0.0.2",
    "fail 10.0.0.2",
    "start 10.0.0.3",
    "win 10.0.0.3",
  ]);
});

Deno.test("connectFirst() staggers a single family too: a stalled first IPv4 address costs attemptDelay, not its failure", async () => {
  using time = new FakeTime();
  await using net = new FakeNetwork({
    "10.0.0.1": { hang: true },
    "10.0.0.2": { hang: true },
    "10.0.0.3": { succeed: true },
  });
  const connecting = connectFirst(
    [v4("10.0.0.1"), v4("10.0.0.2"), v4("10.0.0.3")],
    { port: 3490, attemptDelay: 50, connect: net.connect },
  );
  // RFC 8305 section 5: each attempt a delay after the previous started.
  await time.tickAsync(49);
  assertEquals(net.events, ["start 10.0.0.1"]);
  await time.tickAsync(1);
  assertEquals(net.events, ["start 10.0.0.1", "start 10.0.0.2"]);
  await time.tickAsync(49);
  assertEquals(net.events, ["start 10.0.0.1", "start 10.0.0.2"]);
  await time.tickAsync(1);
  const { conn, address } = await deadline(connecting, "connectFirst");
  conn.close();
  assertStrictEquals(address.address, "10.0.0.3");
  assertEquals(net.events, [
    "start 10.0.0.1",
    "start 10.0.0.2",
    "start 10.0.0.3",
    "win 10.0.0.3",
    "abort 10.0.0.1",
    "abort 10.0.0.2",
  ]);
});

Deno.test("connectFirst() on loopback: 127.0.0.2 stalled, 127.0.0.1 listening, the second tried after attemptDelay, not after a failure", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const started: Record<string, number> = {};
  let stalledFailed = false;
  const attemptDelay = 100;
  const connecting = connectFirst([v4("127.0.0.2"), v4("127.0.0.1")], {
    port: listener.addr.port,
    attemptDelay,
    connect: (address, port, signal) => {
      started[address.address] = performance.now();
      if (address.address === "127.0.0.1") {
        return Deno.connect({ hostname: address.address, port, signal });
      }
      // Black-holed: it answers only when given up.
      return new Promise<Deno.TcpConn>((_, reject) =>
        signal.addEventListener("abort", () => {
          stalledFailed = true;
          reject(signal.reason);
        })
      );
    },
  });
  const { conn, address, failures } = await deadline(
    connecting,
    "connectFirst past a stalled address",
  );
  (await deadline(listener.accept(), "the accept")).close();
  conn.close();
  assertStrictEquals(address.address, "127.0.0.1");
  assertEquals(failures, [], "the stalled attempt was abandoned, not failed");
  assert(stalledFailed, "the stalled attempt was aborted once the other won");
  const gap = started["127.0.0.1"]! - started["127.0.0.2"]!;
  // Timers may fire late on a loaded machine, never early.
  assert(gap >= attemptDelay - 1, `the second started after ${gap} ms`);
});

Deno.test("connectFirst() rejects a port, attemptDelay or timeout out of range with RangeError, before any attempt", async () => {
  await using net = new FakeNetwork({ "10.0.0.1": { succeed: true } });
  for (
    const [bad, message] of [
      [{ attemptDelay: -1 }, 'Invalid attemptDelay "-1"'],
      [{ attemptDelay: Number.NaN }, 'Invalid attemptDelay "NaN"'],
      [{ attemptDelay: Infinity }, 'Invalid attemptDelay "Infinity"'],
      [{ timeout: -5 }, 'Invalid timeout "-5"'],
      [{ timeout: Number.NaN }, 'Invalid timeout "NaN"'],
    ] as const
  ) {
    await assertRejects(
      () =>
        connectFirst([v4("10.0.0.1")], {
          port: 3490,
          connect: net.connect,
          ...bad,
        }),
      RangeError,
      `${message}: must be a finite number of ms, 0 or more`,
    );
  }
  for (const port of [-1, 65_536, 1.5, Number.NaN, 70_000]) {
    await assertRejects(
      () => connectFirst([v4("10.0.0.1")], { port, connect: net.connect }),
      RangeError,
      `Invalid port "${port}": must be an integer 0-65535`,
    );
  }
  assertEquals(net.events, []);
});

Deno.test("connectFirst() rejects arguments and options of the wrong type with TypeError, before any attempt", async () => {
  await using net = new FakeNetwork({ "10.0.0.1": { succeed: true } });
  for (
    const [addresses, options, message] of [
      [
        [v4("10.0.0.1")],
        { connect: net.connect },
        "Invalid port: must be a number, not undefined",
      ],
      [
        [v4("10.0.0.1")],
        { port: "3490", connect: net.connect },
        "Invalid port: must be a number, not string",
      ],
      [
        [v4("10.0.0.1")],
        { port: 3490, connect: net.connect, onAttempt: "no" },
        "Invalid onAttempt: must be a function, not string",
      ],
      [
        [v4("10.0.0.1")],
        { port: 3490, connect: net.connect, signal: {} },
        "Invalid signal: must be an AbortSignal, not object",
      ],
      [
        v4("10.0.0.1"),
        { port: 3490, connect: net.connect },
        "Invalid addresses: must be an array, not object",
      ],
      [[v4("10.0.0.1")], undefined, "Invalid connectFirst() options: missing"],
    ] as const
  ) {
    await assertRejects(
      () => connectFirst(addresses as never, options as never),
      TypeError,
      message,
    );
  }
  assertEquals(net.events, []);
});

Deno.test("connectFirst() passes the port to every attempt", async () => {
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: new Error("refused") },
    "10.0.0.2": { succeed: true },
  });
  const { conn } = await deadline(
    connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
      port: 4321,
      connect: net.connect,
    }),
    "connectFirst",
  );
  conn.close();
  assertEquals(net.attempts.map((a) => a.port), [4321, 4321]);
});

Deno.test("connectFirst() reports every failure through onFailure, in order", async () => {
  const e1 = new Error("refused 1");
  const e2 = new Error("unreachable 2");
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: e1 },
    "10.0.0.2": { fail: e2 },
    "10.0.0.3": { succeed: true },
  });
  const calls = recorder();
  const { conn } = await deadline(
    connectFirst([v4("10.0.0.1"), v4("10.0.0.2"), v4("10.0.0.3")], {
      port: 3490,
      connect: net.connect,
      ...calls,
    }),
    "connectFirst",
  );
  conn.close();
  assertEquals(calls.attempted, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  assertStrictEquals(calls.failures.length, 2);
  assertStrictEquals(calls.failures[0]![0], "10.0.0.1");
  assertStrictEquals(calls.failures[0]![1], e1);
  assertStrictEquals(calls.failures[1]![0], "10.0.0.2");
  assertStrictEquals(calls.failures[1]![1], e2);
});

Deno.test("connectFirst() with both families starts the next attempt after attemptDelay while the first is pending", async () => {
  using time = new FakeTime();
  await using net = new FakeNetwork({
    "2001:db8::1": { hang: true },
    "192.0.2.1": { succeed: true },
  });
  const calls = recorder();
  const connecting = connectFirst([v6("2001:db8::1"), v4("192.0.2.1")], {
    port: 3490,
    attemptDelay: 50,
    connect: net.connect,
    ...calls,
  });
  // Fake time: nothing more may start 1 ms before the delay, the next
  // attempt must start exactly when it ends.
  await time.tickAsync(49);
  assertEquals(net.events, ["start 2001:db8::1"]);
  await time.tickAsync(1);
  assertEquals(net.events, ["start 2001:db8::1", "start 192.0.2.1"]);
  const { conn, address } = await deadline(connecting, "connectFirst");
  conn.close();
  assertStrictEquals(address.address, "192.0.2.1");
  assertEquals(calls.attempted, ["2001:db8::1", "192.0.2.1"]);
  assertEquals(net.events, [
    "start 2001:db8::1",
    "start 192.0.2.1",
    "win 192.0.2.1",
    "abort 2001:db8::1",
  ]);
});

Deno.test("connectFirst() starts the next attempt at once when one fails, without waiting for attemptDelay", async () => {
  await using net = new FakeNetwork({
    "2001:db8::1": { fail: new Error("refused") },
    "192.0.2.1": { succeed: true },
  });
  const { conn, address } = await deadline(
    connectFirst([v6("2001:db8::1"), v4("192.0.2.1")], {
      port: 3490,
      attemptDelay: 60_000,
      connect: net.connect,
    }),
    "connectFirst (a minute's attemptDelay must not be waited for)",
  );
  conn.close();
  assertStrictEquals(address.address, "192.0.2.1");
  assertEquals(net.events, [
    "start 2001:db8::1",
    "fail 2001:db8::1",
    "start 192.0.2.1",
    "win 192.0.2.1",
  ]);
});

Deno.test("connectFirst() returns the first connection to succeed and aborts the attempts in flight", async () => {
  await using net = new FakeNetwork({
    "2001:db8::1": { manual: true },
    "192.0.2.1": { manual: true },
    "2001:db8::2": { manual: true },
  });
  const connecting = connectFirst(
    [v6("2001:db8::1"), v6("2001:db8::2"), v4("192.0.2.1")],
    { port: 3490, attemptDelay: 1, connect: net.connect },
  );
  const first = await net.attempt(0);
  const second = await net.attempt(1);
  const third = await net.attempt(2);
  assertEquals(
    [first, second, third].map((a) => a.address.address),
    ["2001:db8::1", "192.0.2.1", "2001:db8::2"],
  );
  const winner = await second.succeed();
  const { conn, address } = await deadline(connecting, "connectFirst");
  assertStrictEquals(conn, winner);
  assertStrictEquals(address.address, "192.0.2.1");
  assertStrictEquals(first.signal.aborted, true);
  assertStrictEquals(third.signal.aborted, true);
  conn.close();
  first.fail(first.signal.reason);
  third.fail(third.signal.reason);
});

Deno.test("connectFirst() closes a connection that succeeds after another won", async () => {
  await using net = new FakeNetwork({
    "2001:db8::1": { manual: true },
    "192.0.2.1": { manual: true },
  });
  const connecting = connectFirst([v6("2001:db8::1"), v4("192.0.2.1")], {
    port: 3490,
    attemptDelay: 1,
    connect: net.connect,
  });
  const slow = await net.attempt(0);
  const fast = await net.attempt(1);
  await fast.succeed();
  const { conn } = await deadline(connecting, "connectFirst");
  conn.close();
  // The slow attempt ignores its aborted signal and connects anyway.
  await slow.succeed();
  const latePeer = net.peer(1);
  const read = await deadline(
    latePeer.read(new Uint8Array(1)),
    "the late connection to be closed",
  );
  assertStrictEquals(read, null);
});

Deno.test("connectFirst() throws ConnectError listing every failure when all fail", async () => {
  const e1 = new Error("refused");
  const e2 = new Error("unreachable");
  await using net = new FakeNetwork({
    "2001:db8::1": { fail: e1 },
    "192.0.2.1": { fail: e2, after: 5 },
  });
  const error = await deadline(
    connectFirst([v6("2001:db8::1"), v4("192.0.2.1")], {
      port: 3490,
      connect: net.connect,
    }).then(
      ({ conn }) => {
        conn.close();
        fail("connected");
      },
      (error: unknown) => error,
    ),
    "connectFirst",
  );
  assert(error instanceof ConnectError);
  assertEquals(error.failures, [
    { address: "2001:db8::1", error: e1 },
    { address: "192.0.2.1", error: e2 },
  ]);
  assertStrictEquals(error.message, "Cannot connect: 2 addresses tried");
});

Deno.test("connectFirst() of no addresses throws ConnectError with no failures", async () => {
  await using net = new FakeNetwork({});
  const error = await assertRejects(() =>
    connectFirst([], { port: 3490, connect: net.connect })
  );
  assert(error instanceof ConnectError);
  assertEquals(error.failures, []);
  assertEquals(net.events, []);
});

Deno.test("connectFirst() fails an attempt that takes longer than timeout with a TimeoutError DOMException and tries the next", async () => {
  using time = new FakeTime();
  await using net = new FakeNetwork({
    "10.0.0.1": { hang: true },
    "10.0.0.2": { succeed: true },
  });
  const calls = recorder();
  const connecting = connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
    port: 3490,
    timeout: 50,
    connect: net.connect,
    ...calls,
  });
  await time.tickAsync(49);
  assertEquals(net.events, ["start 10.0.0.1"]);
  assertStrictEquals(net.attempts[0]!.signal.aborted, false);
  await time.tickAsync(1);
  const { conn, address } = await deadline(connecting, "connectFirst");
  conn.close();
  assertStrictEquals(address.address, "10.0.0.2");
  assertStrictEquals(net.attempts[0]!.signal.aborted, true);
  assertStrictEquals(calls.failures.length, 1);
  const [failed, error] = calls.failures[0]!;
  assertStrictEquals(failed, "10.0.0.1");
  assert(error instanceof DOMException, String(error));
  assertStrictEquals(error.name, "TimeoutError");
  assertStrictEquals(error.message, "Connection timed out");
});

Deno.test("connectFirst() rejects with the signal's reason when the signal aborts", async () => {
  await using net = new FakeNetwork({
    "10.0.0.1": { hang: true },
    "10.0.0.2": { hang: true },
  });
  const controller = new AbortController();
  const calls = recorder();
  const connecting = connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
    port: 3490,
    signal: controller.signal,
    connect: net.connect,
    ...calls,
  });
  const attempt = await net.attempt(0);
  controller.abort();
  await assertRejectsExactly(
    deadline(connecting, "connectFirst"),
    DOMException,
    { name: "AbortError" },
  );
  assertStrictEquals(attempt.signal.aborted, true);
  assertEquals(calls.attempted, ["10.0.0.1"]);
  assertEquals(calls.failures, []);
});

Deno.test("connectFirst() rejects with a custom abort reason as given", async () => {
  await using net = new FakeNetwork({ "10.0.0.1": { hang: true } });
  const controller = new AbortController();
  const connecting = connectFirst([v4("10.0.0.1")], {
    port: 3490,
    signal: controller.signal,
    connect: net.connect,
  });
  await net.attempt(0);
  const reason = new Error("interrupted");
  controller.abort(reason);
  const error = await assertRejects(() => deadline(connecting, "connectFirst"));
  assertStrictEquals(error, reason);
});

Deno.test("connectFirst() with an already aborted signal rejects without an attempt", async () => {
  await using net = new FakeNetwork({ "10.0.0.1": { succeed: true } });
  const calls = recorder();
  await assertRejectsExactly(
    connectFirst([v4("10.0.0.1")], {
      port: 3490,
      signal: AbortSignal.abort(),
      connect: net.connect,
      ...calls,
    }),
    DOMException,
    { name: "AbortError" },
  );
  assertEquals(net.events, []);
  assertEquals(calls.attempted, []);
});

Deno.test("connectFirst() rejects at once with a permission error and tries no other address", async () => {
  const denied = new Deno.errors.NotCapable(
    'Requires net access to "10.0.0.1:3490", run again with the --allow-net flag',
  );
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: denied },
    "10.0.0.2": { succeed: true },
  });
  const calls = recorder();
  const error = await assertRejects(() =>
    deadline(
      connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
        port: 3490,
        connect: net.connect,
        ...calls,
      }),
      "connectFirst",
    )
  );
  assertStrictEquals(error, denied);
  assertEquals(net.events, ["start 10.0.0.1", "fail 10.0.0.1"]);
  assertEquals(calls.failures, []);
});

Deno.test("connectFirst() aborts the attempts in flight when one hits a permission error", async () => {
  const denied = new Deno.errors.NotCapable("no");
  await using net = new FakeNetwork({
    "2001:db8::1": { hang: true },
    "192.0.2.1": { fail: denied, after: 5 },
  });
  const error = await assertRejects(() =>
    deadline(
      connectFirst([v6("2001:db8::1"), v4("192.0.2.1")], {
        port: 3490,
        attemptDelay: 1,
        connect: net.connect,
      }),
      "connectFirst",
    )
  );
  assertStrictEquals(error, denied);
  assertStrictEquals(net.attempts[0]!.signal.aborted, true);
});

// connectFirst on the real network

Deno.test("connectFirst() reports ConnectionRefused from a closed port in ConnectError", async () => {
  const port = freeTcpPort();
  const calls = recorder();
  const error = await deadline(
    connectFirst([v4("127.0.0.1")], { port, ...calls }).then(
      ({ conn }) => {
        conn.close();
        fail("connected to a closed port");
      },
      (error: unknown) => error,
    ),
    "connectFirst",
  );
  assert(error instanceof ConnectError, String(error));
  assertStrictEquals(error.failures.length, 1);
  assertStrictEquals(error.failures[0]!.address, "127.0.0.1");
  assert(error.failures[0]!.error instanceof Deno.errors.ConnectionRefused);
  assertStrictEquals(calls.failures.length, 1);
});

Deno.test({
  name: "connectFirst() moves on from a refusing address to a listening one",
  // Linux routes all of 127.0.0.0/8 to lo; elsewhere 127.0.0.2 may not exist.
  ignore: Deno.build.os !== "linux",
  async fn(): Promise<void> {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepting = listener.accept();
    const calls = recorder();
    const { conn, address } = await deadline(
      connectFirst([v4("127.0.0.2"), v4("127.0.0.1")], {
        port: listener.addr.port,
        ...calls,
      }),
      "connectFirst",
    );
    const peer = await deadline(accepting, "accept");
    peer.close();
    conn.close();
    assertStrictEquals(address.address, "127.0.0.1");
    assertEquals(calls.attempted, ["127.0.0.2", "127.0.0.1"]);
    assertStrictEquals(calls.failures.length, 1);
    assertStrictEquals(calls.failures[0]![0], "127.0.0.2");
    assert(calls.failures[0]![1] instanceof Deno.errors.ConnectionRefused);
    assertStrictEquals(conn.remoteAddr.port, listener.addr.port);
  },
});

Deno.test("connectFirst() rejects with the error of an onAttempt that throws for an attempt the timer started, and stops the others", async () => {
  using time = new FakeTime();
  await using net = new FakeNetwork({
    "10.0.0.1": { hang: true },
    "10.0.0.2": { succeed: true },
  });
  const oops = new Error("onAttempt failed");
  const connecting = connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
    port: 3490,
    attemptDelay: 50,
    connect: net.connect,
    onAttempt: (address) => {
      if (address.address === "10.0.0.2") throw oops;
    },
  });
  const rejected = connecting.catch((error: unknown) => error);
  // Before, the throw escaped from the timer: an uncaught error.
  await time.tickAsync(50);
  assertStrictEquals(await deadline(rejected, "connectFirst to reject"), oops);
  assertEquals(net.events, ["start 10.0.0.1", "abort 10.0.0.1"]);
});

Deno.test("connectFirst() awaits no callback but takes an async onFailure's rejection as its own while the race goes on", async () => {
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: new Error("refused") },
    "10.0.0.2": { hang: true },
  });
  const oops = new Error("onFailure rejected");
  const onFailure = async (): Promise<void> => {
    await Promise.resolve();
    throw oops;
  };
  const error = await deadline(
    connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
      port: 3490,
      attemptDelay: 60_000,
      connect: net.connect,
      onFailure,
    }).catch((error: unknown) => error),
    "connectFirst to reject",
  );
  assertStrictEquals(error, oops);
  assertEquals(net.attempts[1]!.signal.aborted, true, "the hang was stopped");
  // Once every address failed, the race is decided: the rejection that
  // comes after is handled, not left to crash the program.
  await assertRejects(
    () =>
      connectFirst([v4("10.0.0.1")], {
        port: 3490,
        connect: net.connect,
        onFailure,
      }),
    ConnectError,
  );
});
