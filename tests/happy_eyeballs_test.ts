// Happy Eyeballs (lib/happy_eyeballs.ts, RFC 8305): interleaveFamilies(), and
// connectFirst()'s order, timing, results and failures, with a fake network
// and on loopback. How it stops (a signal, a permission error, a callback
// that throws): tests/happy_eyeballs_abort_test.ts.

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
import { deadline, freeTcpPort } from "./_util.ts";
import { FakeNetwork, recorder, v4, v6 } from "./_fake_network.ts";

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
