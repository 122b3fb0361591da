// A lossy UDP relay for the tests: this machine's kernel has no netem, so the
// impairment between talker and listener is this forwarder. It binds
// 127.0.0.1:0, takes a known number of datagrams from whoever sends, and
// forwards each to one target from its own socket — except those a seeded
// plan picks, which it drops, holds back behind later ones, pauses on or sends
// twice. It records exactly what it did.
//
// Datagrams are known by their order of arrival at the relay. On loopback one
// sender's datagrams arrive in the order sent, so that order is the talker's
// sequence number (a test checks that every datagram arrived).

import { delay } from "@std/async/delay";

/** What the relay does to one datagram. */
export type Impairment = "drop" | "duplicate" | "reorder" | "delay";

/** Which datagrams the relay impairs, and how. */
export interface RelayPlan {
  /** Datagrams the relay takes before it finishes. */
  count: number;
  /** By order of arrival (from 0): what to do; the rest pass as they come. */
  actions: ReadonlyMap<number, Impairment>;
  /** A reordered datagram waits until this many later ones were forwarded. */
  holdFor: number;
  /** A delayed datagram waits this many ms, and the datagrams behind it too. */
  delayMs: number;
}

/** How many datagrams of each impairment a plan holds. */
export interface PlanOptions {
  seed: number;
  count: number;
  drop?: number;
  duplicate?: number;
  reorder?: number;
  delay?: number;
  holdFor?: number;
  delayMs?: number;
}

/** A small seeded generator (xorshift32): the same seed, the same plan. */
export function seededRandom(seed: number): (below: number) => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return (below) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

/**
 * Pick distinct datagrams for each impairment, from those early enough that
 * each impairment shows: none among the last `holdFor + 1`, so a dropped
 * datagram leaves a gap and a held one is passed by later ones.
 */
export function planImpairments(options: PlanOptions): RelayPlan {
  const holdFor = options.holdFor ?? 3;
  const random = seededRandom(options.seed);
  const eligible = options.count - holdFor - 1;
  const actions = new Map<number, Impairment>();
  const wanted: [Impairment, number][] = [
    ["drop", options.drop ?? 0],
    ["duplicate", options.duplicate ?? 0],
    ["reorder", options.reorder ?? 0],
    ["delay", options.delay ?? 0],
  ];
  const total = wanted.reduce((sum, [, n]) => sum + n, 0);
  if (total > eligible) {
    throw new RangeError(
      `${total} impairments do not fit ${options.count} datagrams`,
    );
  }
  for (const [impairment, n] of wanted) {
    for (let picked = 0; picked < n;) {
      const index = random(eligible);
      if (actions.has(index)) continue;
      actions.set(index, impairment);
      picked++;
    }
  }
  return {
    count: options.count,
    actions,
    holdFor,
    delayMs: options.delayMs ?? 20,
  };
}

/** What the relay did, datagrams named by their order of arrival. */
export interface RelayLog {
  /** Datagrams taken in. */
  received: number;
  /** Each datagram sent on, in the order sent (a copy appears twice). */
  forwarded: number[];
  dropped: number[];
  duplicated: number[];
  /** Held datagrams that went on after a later one. */
  reordered: number[];
  delayed: number[];
}

/** The counts a listener behind the relay must report, from the log alone. */
export interface Expected {
  received: number;
  lost: number;
  reordered: number;
  duplicated: number;
  highest: number;
}

/** The listener's counts that `log` implies (see lib/sequence_stats.ts). */
export function expectedCounts(log: RelayLog): Expected {
  const highest = Math.max(-1, ...log.forwarded);
  return {
    received: log.forwarded.length,
    lost: log.dropped.filter((index) => index < highest).length,
    reordered: log.reordered.length,
    duplicated: log.duplicated.length,
    highest,
  };
}

/** A running relay. */
export interface Relay extends AsyncDisposable {
  /** Where to send: 127.0.0.1 and the relay's port. */
  readonly addr: Deno.NetAddr;
  /** What it did so far. */
  readonly log: RelayLog;
  /** Resolves once `count` datagrams came and all were dealt with. */
  readonly finished: Promise<RelayLog>;
}

/** Start a relay that forwards to `target` as `plan` says. */
export function startRelay(target: Deno.NetAddr, plan: RelayPlan): Relay {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const to: Deno.NetAddr = {
    transport: "udp",
    hostname: target.hostname,
    port: target.port,
  };
  const log: RelayLog = {
    received: 0,
    forwarded: [],
    dropped: [],
    duplicated: [],
    reordered: [],
    delayed: [],
  };
  const held: { index: number; data: Uint8Array; until: number }[] = [];
  let highest = -1;
  let closed = false;

  const forward = async (index: number, data: Uint8Array): Promise<void> => {
    await socket.send(data, to);
    log.forwarded.push(index);
    if (index > highest) highest = index;
  };
  const release = async (all: boolean): Promise<void> => {
    while (
      held.length > 0 && (all || held[0]!.until <= log.forwarded.length)
    ) {
      const { index, data } = held.shift()!;
      if (highest > index) log.reordered.push(index);
      await forward(index, data);
    }
  };

  const run = async (): Promise<RelayLog> => {
    const buffer = new Uint8Array(65_536);
    try {
      while (log.received < plan.count) {
        const [view] = await socket.receive(buffer);
        const data = view.slice();
        const index = log.received++;
        switch (plan.actions.get(index)) {
          case "drop":
            log.dropped.push(index);
            break;
          case "duplicate":
            await forward(index, data);
            await forward(index, data);
            log.duplicated.push(index);
            break;
          case "reorder":
            held.push({
              index,
              data,
              until: log.forwarded.length + plan.holdFor,
            });
            break;
          case "delay":
            await delay(plan.delayMs);
            await forward(index, data);
            log.delayed.push(index);
            break;
          default:
            await forward(index, data);
        }
        await release(false);
      }
      await release(true);
      return log;
    } catch (error) {
      if (closed) return log;
      throw error;
    } finally {
      if (!closed) {
        closed = true;
        socket.close();
      }
    }
  };
  const finished = run();
  return {
    addr: socket.addr as Deno.NetAddr,
    log,
    finished,
    async [Symbol.asyncDispose](): Promise<void> {
      if (!closed) {
        closed = true;
        socket.close();
      }
      await finished;
    },
  };
}

/**
 * The other impairment: sends that fail on this side, as a loaded interface
 * fails them with ENOBUFS. Until disposed, every `every`-th send of any UDP
 * socket in this process (the 1st, the (every+1)-th, …, counted from now)
 * throws ENOBUFS instead of sending; `failed` counts them.
 */
export function failingSends(
  every: number,
): Disposable & { readonly failed: number } {
  const probe = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const prototype = Object.getPrototypeOf(probe) as Deno.DatagramConn;
  probe.close();
  const original = prototype.send;
  let calls = 0, failed = 0;
  prototype.send = function (
    this: Deno.DatagramConn,
    ...args: Parameters<Deno.DatagramConn["send"]>
  ): Promise<number> {
    if (calls++ % every === 0) {
      failed++;
      return Promise.reject(
        Object.assign(new Error("No buffer space available (os error 105)"), {
          code: "ENOBUFS",
        }),
      );
    }
    return original.apply(this, args);
  };
  return {
    get failed(): number {
      return failed;
    },
    [Symbol.dispose](): void {
      prototype.send = original;
    },
  };
}
