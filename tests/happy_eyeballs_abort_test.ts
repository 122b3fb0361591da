/**
 * How `connectFirst()` (lib/happy_eyeballs.ts) stops: its signal aborted
 * (before or during the race, with a custom reason), a permission error that
 * ends the race at once, and callbacks that throw or reject.
 *
 * @module
 */

import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { ConnectError } from "../lib/errors.ts";
import { connectFirst } from "../lib/happy_eyeballs.ts";
import { assertRejectsExactly, deadline } from "./_util.ts";
import { FakeNetwork, recorder, v4, v6 } from "./_fake_network.ts";

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

Deno.test("connectFirst() takes the rejection of an onFailure that returns a thenable, not only a Promise", async () => {
  await using net = new FakeNetwork({
    "10.0.0.1": { fail: new Error("refused") },
    "10.0.0.2": { hang: true },
  });
  const oops = new Error("thenable rejected");
  // A PromiseLike that is no Promise: an `instanceof Promise` check misses it.
  const onFailure = (): PromiseLike<void> => ({
    then: (_resolve, reject) => {
      queueMicrotask(() => reject?.(oops));
      return Promise.resolve() as never;
    },
  });
  const error = await deadline(
    connectFirst([v4("10.0.0.1"), v4("10.0.0.2")], {
      port: 3490,
      attemptDelay: 60_000,
      connect: net.connect,
      onFailure: onFailure as () => Promise<void>,
    }).catch((error: unknown) => error),
    "connectFirst to reject",
  );
  assertStrictEquals(error, oops);
});
