import { assertEquals, assertRejects } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { isBufferFull, pace } from "../lib/pace.ts";

/** Run fake time forward, timer by timer, until `promise` settles. */
async function settle<T>(time: FakeTime, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let steps = 0; !settled && steps < 10_000; steps++) {
    await time.nextAsync();
  }
  return await promise;
}

const full = (): Error =>
  Object.assign(new Error("No buffer space available (os error 105)"), {
    code: "ENOBUFS",
  });

Deno.test("pace() keeps an absolute schedule: a slow send does not push the next ones back", async () => {
  using time = new FakeTime(0);
  const times: number[] = [];
  const pacing = pace(5, async () => {
    times.push(Date.now());
    time.tick(3); // each send costs 3 ms
    await Promise.resolve();
  }, { interval: 10, now: () => Date.now() });
  const result = await settle(time, pacing);
  assertEquals(times, [0, 10, 20, 30, 40]);
  assertEquals(result.elapsed, 40);
  assertEquals(result.rate, 100);
  assertEquals([result.sent, result.failed, result.stopped], [5, 0, false]);
});

Deno.test("pace() catches up at once after a stall, never sends early", async () => {
  using time = new FakeTime(0);
  const times: number[] = [];
  const pacing = pace(6, async (index) => {
    times.push(Date.now());
    if (index === 1) time.tick(35);
    await Promise.resolve();
  }, { interval: 10, now: () => Date.now() });
  await settle(time, pacing);
  // Sends 2-4 were due at 20-40 and go at 45; send 5 waits for 50.
  assertEquals(times, [0, 10, 45, 45, 45, 50]);
});

Deno.test("pace() wakes at a fractional due time no earlier than it", async () => {
  using time = new FakeTime(0);
  const times: number[] = [];
  const pacing = pace(4, () => {
    times.push(Date.now());
  }, { interval: 2.5, now: () => Date.now() });
  await settle(time, pacing);
  for (const [i, t] of times.entries()) {
    if (t < i * 2.5) throw new Error(`send ${i} at ${t}, before ${i * 2.5}`);
  }
  assertEquals(times.length, 4);
});

Deno.test("pace() counts a send failed with ENOBUFS and goes on", async () => {
  const result = await pace(10, (index) => {
    if (index % 3 === 0) throw full();
  }, { interval: 0 });
  assertEquals([result.sent, result.failed], [6, 4]);
});

Deno.test("pace() stops at a failure it does not tolerate, with that error", async () => {
  const calls: number[] = [];
  await assertRejects(
    () =>
      pace(5, (index) => {
        calls.push(index);
        if (index === 2) {
          throw new Deno.errors.NetworkUnreachable("unreachable");
        }
      }, { interval: 0 }),
    Deno.errors.NetworkUnreachable,
  );
  assertEquals(calls, [0, 1, 2]);
});

Deno.test("pace() tolerates what the tolerate option says", async () => {
  const result = await pace(3, () => Promise.reject(new Error("any")), {
    interval: 0,
    tolerate: () => true,
  });
  assertEquals([result.sent, result.failed], [0, 3]);
});

Deno.test("pace() resolves with what it did when the signal aborts", async () => {
  using time = new FakeTime(0);
  const controller = new AbortController();
  const pacing = pace(100, (index) => {
    if (index === 3) controller.abort();
  }, { interval: 10, now: () => Date.now(), signal: controller.signal });
  const result = await settle(time, pacing);
  assertEquals([result.sent, result.stopped], [4, true]);
});

Deno.test("pace() does nothing for count 0 and refuses bad numbers", async () => {
  assertEquals(await pace(0, () => Promise.resolve(), { interval: 1 }), {
    sent: 0,
    failed: 0,
    elapsed: 0,
    rate: 0,
    stopped: false,
  });
  await assertRejects(
    () => pace(-1, () => Promise.resolve(), { interval: 1 }),
    RangeError,
  );
  await assertRejects(
    () => pace(1, () => Promise.resolve(), { interval: -1 }),
    RangeError,
  );
  await assertRejects(
    () => pace(1, () => Promise.resolve(), { interval: Infinity }),
    RangeError,
  );
});

Deno.test("isBufferFull() is true for ENOBUFS, EAGAIN and WouldBlock only", () => {
  assertEquals(isBufferFull(full()), true);
  assertEquals(
    isBufferFull(Object.assign(new Error(), { code: "EAGAIN" })),
    true,
  );
  assertEquals(isBufferFull(new Deno.errors.WouldBlock()), true);
  assertEquals(
    isBufferFull(Object.assign(new Error(), { code: "EMSGSIZE" })),
    false,
  );
  assertEquals(isBufferFull(new Deno.errors.ConnectionRefused()), false);
  assertEquals(isBufferFull(undefined), false);
  assertEquals(isBufferFull("ENOBUFS"), false);
});

Deno.test("pace() holds a real rate over real timers", async () => {
  const times: number[] = [];
  const before = performance.now(); // at or before pace()'s own start
  const result = await pace(50, () => {
    times.push(performance.now());
  }, { interval: 2 });
  assertEquals(result.sent, 50);
  // Never early: send i no sooner than i × 2 ms after the schedule's start.
  for (const [i, t] of times.entries()) {
    if (t - before < i * 2) throw new Error(`send ${i} early`);
  }
  if (result.rate > 500.01) throw new Error(`rate ${result.rate} above 500/s`);
});

Deno.test("pace() catches up at most burst sends in a row, then waits a timer turn", async () => {
  // An interval far below a timer's resolution: every send is due at once,
  // as after a stall.
  const events: string[] = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    events.push(`timer ${ms}`);
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  try {
    const result = await pace(10, (index) => {
      events.push(`send ${index}`);
    }, { interval: 1e-9, burst: 4 });
    assertEquals(result.sent, 10);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assertEquals(events, [
    "send 0",
    "send 1",
    "send 2",
    "send 3",
    "timer 0",
    "send 4",
    "send 5",
    "send 6",
    "send 7",
    "timer 0",
    "send 8",
    "send 9",
  ]);
});

Deno.test("pace() refuses a burst below 1", async () => {
  await assertRejects(
    () => pace(1, () => {}, { interval: 1, burst: 0 }),
    RangeError,
    "Burst",
  );
});

Deno.test("pace() at interval 0 yields a turn of the event loop every 32 sends by default", async () => {
  // Sends that complete at once (as loopback sends do) would otherwise
  // never let a receiver on the same event loop read.
  let turns = 0;
  let inRow = 0, longest = 0;
  const ticker = setInterval(() => turns++, 0);
  try {
    const result = await pace(200, () => {
      inRow = turns === 0 ? inRow + 1 : 1;
      longest = Math.max(longest, inRow);
      turns = 0;
    }, { interval: 0 });
    assertEquals(result.sent, 200);
  } finally {
    clearInterval(ticker);
  }
  assertEquals(longest, 32, "sends in a row without a turn of the timers");
});
