/**
 * The UDP section of the bench: a receiver pinned to one core, the C sender
 * pinned to the other. Loss is what the kernel dropped on the way to the
 * receiver's socket: the socket's own drop counter (/proc/net/udp6, which
 * counts datagrams refused by a full receive buffer) plus the per-CPU input
 * backlog drops, read before and after each trial, once the receive queue has
 * drained.
 *
 * @module
 */

import { HALF_FLOOR_KEYS, type Measured } from "./_figures.ts";
import {
  cpuSnapshot,
  foreignCores,
  type Host,
  LOAD_CPU,
  messageOf,
  type Peer,
  type PeerSpec,
  runJson,
  SERVER_CPU,
  softnetDrops,
  startPeer,
  treeCpuSeconds,
  udpSocketStats,
  writeCalls,
} from "./_proc.ts";
import { FOREIGN_LIMIT, RETRIES, roundRobin } from "./_repeat.ts";
import { median } from "./_report.ts";
import type { Bench } from "./_setup.ts";
import { profileSyscalls, type SyscallProfile } from "./_syscalls.ts";

/** A receiver to measure. */
export interface ReceiverSpec extends PeerSpec {
  /** The signal that ends it (the listener: SIGINT). */
  stopSignal: Deno.Signal;
  /** Output lines per datagram, to count what it received from its output file. */
  linesPerDatagram?: number;
  /** Send it numbered datagrams (udpsend -N), for listener --stats. */
  numbered?: boolean;
}

/** The JSON line of bench/peers/udpsend.c. */
interface SendResult {
  sent: number;
  errors: number;
  seconds: number;
  rate: number;
}

/** One trial: datagrams sent at a rate, and how many were lost. */
export interface Trial {
  /** The rate asked for (0: flat out). */
  asked: number;
  /** The rate the sender reached. */
  rate: number;
  sent: number;
  lost: number;
  /** CPU (cores) used by other work on the machine meanwhile. */
  foreign: number;
  /** write(2) calls the receiver made meanwhile. */
  writes?: number;
  /** Datagrams the receiver got in attempts redone for other work (not in `sent`). */
  redoneReceived?: number;
}

/** One run of one receiver. */
export interface ReceiverRun {
  /** write(2) calls of the receiver per datagram at the fixed rate. */
  writesPerDatagram?: number;
  /** Loss at the fixed rate, in percent. */
  lossPct?: number;
  /** The highest rate of a trial with no loss. */
  maxLossFree?: number;
  /** True when even the flat-out sender lost nothing: the rate is a lower bound. */
  maxIsLowerBound?: boolean;
  trials: Trial[];
  /** Sent − lost − counted from the output, where the output can be counted. */
  unaccounted?: number;
  exitCode?: number;
  error?: string;
}

/** Rates, durations and bounds of the UDP part. */
export interface UdpSettings {
  runs: number;
  /** The fixed rate of the loss figure (the issue: 50k datagrams/s). */
  rate: number;
  lossSeconds: number;
  /** Length of one search trial, seconds. */
  trialSeconds: number;
  /** Halvings of the search interval after the flat-out trial. */
  searchSteps: number;
  /** Datagrams of the flat-out trial. */
  flatOutCount: number;
  /** Datagram size, bytes. */
  size: number;
  scratch: string;
}

async function drained(port: number, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (udpSocketStats(port).rxQueue === 0) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/** The sender, the receiver it sends to, and the size of each datagram. */
interface Link {
  host: Host;
  udpsend: string;
  peer: Peer;
  size: number;
  numbered?: boolean;
}

async function trial(
  { host, udpsend, peer, size, numbered }: Link,
  rate: number,
  count: number,
): Promise<Trial> {
  const before = udpSocketStats(peer.port).drops + softnetDrops();
  const own0 = treeCpuSeconds(Deno.pid);
  const snap0 = cpuSnapshot();
  const writes0 = writeCalls(peer.pid);
  const r = await runJson<SendResult>(host, [
    udpsend,
    "-p",
    String(peer.port),
    "-n",
    String(Math.max(1, Math.round(count))),
    "-r",
    String(Math.round(rate)),
    "-s",
    String(size),
    ...(numbered ? ["-N"] : []),
  ], { cpu: LOAD_CPU, timeoutMs: 120_000 });
  if (!(await drained(peer.port, 20_000))) {
    throw new Error(
      `the receive queue of port ${peer.port} did not drain in 20 s`,
    );
  }
  const lost = udpSocketStats(peer.port).drops + softnetDrops() - before;
  const foreign = foreignCores(
    snap0,
    cpuSnapshot(),
    treeCpuSeconds(Deno.pid) - own0,
  );
  return {
    asked: rate,
    rate: r.rate,
    sent: r.sent,
    lost: Math.min(lost, r.sent),
    foreign,
    writes: writes0 === undefined
      ? undefined
      : (writeCalls(peer.pid) ?? writes0) - writes0,
  };
}

/** A trial, redone (at most {@linkcode RETRIES} times) while it lost datagrams under other work. */
async function fairTrial(
  link: Link,
  rate: number,
  count: number,
): Promise<Trial> {
  let t = await trial(link, rate, count);
  // What the receiver got in every attempt, kept or not: it printed them all.
  let received = t.sent - t.lost;
  for (let i = 0; i < RETRIES && t.lost > 0 && t.foreign > FOREIGN_LIMIT; i++) {
    const again = await trial(link, rate, count);
    received += again.sent - again.lost;
    if (again.foreign < t.foreign) t = again;
  }
  const redone = received - (t.sent - t.lost);
  return redone > 0 ? { ...t, redoneReceived: redone } : t;
}

async function countMatches(path: string, needle: string): Promise<number> {
  const text = new TextEncoder().encode(needle);
  let n = 0, matched = 0;
  const file = await Deno.open(path);
  for await (const chunk of file.readable) {
    for (const b of chunk) {
      matched = b === text[matched] ? matched + 1 : (b === text[0] ? 1 : 0);
      if (matched === text.length) {
        n++;
        matched = 0;
      }
    }
  }
  return n;
}

/**
 * Starts a fresh receiver pinned to its core, lets `trials` run its trials
 * on it, stops it, and counts what it printed where its output can be
 * counted.
 */
async function withReceiver(
  host: Host,
  udpsend: string,
  spec: ReceiverSpec,
  s: UdpSettings,
  trials: (link: Link, run: ReceiverRun) => Promise<void>,
): Promise<ReceiverRun> {
  const outFile = `${s.scratch}/${spec.key}.out`;
  let peer: Peer;
  try {
    peer = await startPeer(host, [...spec.cmd, ...spec.portArgs], {
      cpu: SERVER_CPU,
      stdoutFile: spec.stdoutToFile ? outFile : undefined,
    });
  } catch (err) {
    return { error: messageOf(err), trials: [] };
  }
  const run: ReceiverRun = { trials: [] };
  try {
    if (!udpSocketStats(peer.port).found) {
      throw new Error(
        `no UDP socket on port ${peer.port} in /proc/net/udp{,6}`,
      );
    }
    await trials({
      host,
      udpsend,
      peer,
      size: s.size,
      numbered: spec.numbered,
    }, run);
  } catch (err) {
    run.error = messageOf(err);
  } finally {
    run.exitCode = await peer.stop(spec.stopSignal);
  }
  if (spec.stdoutToFile) {
    try {
      const sent = run.trials.reduce(
        (a, t) => a + t.sent + (t.redoneReceived ?? 0),
        0,
      );
      const lost = run.trials.reduce((a, t) => a + t.lost, 0);
      const received = spec.linesPerDatagram
        ? await countMatches(outFile, "got packet from")
        : undefined;
      if (received !== undefined) run.unaccounted = sent - lost - received;
    } catch {
      // No output to count.
    }
    await Deno.remove(outFile).catch(() => {});
  }
  return run;
}

/** One run of a receiver: loss at the fixed rate, then its highest loss-free rate. */
function measureOnce(
  host: Host,
  udpsend: string,
  spec: ReceiverSpec,
  s: UdpSettings,
): Promise<ReceiverRun> {
  return withReceiver(host, udpsend, spec, s, async (link, run) => {
    const fixed = await fairTrial(link, s.rate, s.rate * s.lossSeconds);
    run.trials.push(fixed);
    run.lossPct = (100 * fixed.lost) / fixed.sent;
    if (fixed.writes !== undefined && fixed.sent > fixed.lost) {
      run.writesPerDatagram = fixed.writes / (fixed.sent - fixed.lost);
    }
    const flat = await fairTrial(link, 0, s.flatOutCount);
    run.trials.push(flat);
    if (flat.lost === 0) {
      run.maxLossFree = flat.rate;
      run.maxIsLowerBound = true;
    } else {
      // Bisect between a rate known good and one known bad, a fixed number of
      // steps; geometrically once a good rate is known, so that every rate is
      // found to the same fraction of itself and the ratios of two receivers
      // (the listener to Deno's floor) are as precise as their rates.
      // While no good rate is known it halves on, at most 4 steps more, so
      // that a receiver losing at every rate of a short search (Deno's floor
      // on a busy machine) still has a rate that the loss at half of it can
      // be measured from.
      let lo = fixed.lost === 0 ? s.rate : 0;
      let hi = fixed.lost === 0 ? flat.rate : Math.min(s.rate, flat.rate);
      const most = s.searchSteps + 4;
      for (
        let i = 0;
        (i < s.searchSteps || (lo === 0 && i < most)) && hi - lo > 500;
        i++
      ) {
        const mid = lo > 0 ? Math.sqrt(lo * hi) : (lo + hi) / 2;
        const t = await fairTrial(link, mid, mid * s.trialSeconds);
        run.trials.push(t);
        if (t.lost === 0) lo = Math.min(mid, t.rate);
        else hi = mid;
      }
      run.maxLossFree = lo;
    }
  });
}

/** One run of a receiver: loss at one given rate, on a fresh receiver. */
function measureAtRate(
  host: Host,
  udpsend: string,
  spec: ReceiverSpec,
  s: UdpSettings,
  rate: number,
): Promise<ReceiverRun> {
  return withReceiver(host, udpsend, spec, s, async (link, run) => {
    const t = await fairTrial(link, rate, rate * s.lossSeconds);
    run.trials.push(t);
    run.lossPct = (100 * t.lost) / t.sent;
  });
}

/**
 * Measures every receiver `runs` times, round-robin; one that cannot start is
 * not retried. With `atRate`, each run is one trial at that rate on a fresh
 * receiver; without, the fixed rate's trial and the loss-free rate's search.
 */
export function measureReceivers(
  host: Host,
  udpsend: string,
  specs: ReceiverSpec[],
  s: UdpSettings,
  progress: (message: string) => void,
  atRate?: number,
): Promise<Map<string, ReceiverRun[]>> {
  return roundRobin(
    specs,
    s.runs,
    async (spec, r) => {
      const run = atRate === undefined
        ? await measureOnce(host, udpsend, spec, s)
        : await measureAtRate(host, udpsend, spec, s, atRate);
      progress(
        `udp ${spec.label} run ${r + 1}/${s.runs}: ` +
          (run.error
            ? `error: ${run.error}`
            : atRate !== undefined
            ? `lost ${run.trials[0]?.lost} of ${run.trials[0]?.sent} at ${
              Math.round(atRate)
            }/s, unaccounted ${run.unaccounted ?? "-"}, exit ${run.exitCode}`
            : `${
              run.lossPct?.toFixed(3)
            } % lost at ${s.rate}/s, loss-free up to ` +
              `${run.maxIsLowerBound ? "≥ " : ""}${
                Math.round(run.maxLossFree ?? 0)
              }/s ` +
              `(${run.trials.length} trials), unaccounted ${
                run.unaccounted ?? "-"
              }, exit ${run.exitCode}`),
      );
      return run;
    },
    (first) =>
      first.lossPct === undefined && first.error !== undefined
        ? { error: first.error, trials: [] }
        : undefined,
  );
}

/** How many datagrams a receiver's socket holds while the receiver is stopped. */
export interface BufferCapacity {
  datagrams: number;
  /** The receive buffer (/proc/sys/net/core/rmem_default), bytes. */
  rmemDefault?: number;
}

/**
 * Measures the slack a default receive buffer gives: stops the C receiver
 * (SIGSTOP), sends `count` datagrams flat out, counts what the socket kept.
 */
export async function bufferCapacity(
  host: Host,
  udpsend: string,
  recv: string,
  size: number,
  count = 5000,
): Promise<BufferCapacity> {
  const peer = await startPeer(host, [recv, "0"], { cpu: SERVER_CPU });
  try {
    Deno.kill(peer.pid, "SIGSTOP");
    const before = udpSocketStats(peer.port).drops;
    const r = await runJson<SendResult>(host, [
      udpsend,
      "-p",
      String(peer.port),
      "-n",
      String(count),
      "-s",
      String(size),
    ], { cpu: LOAD_CPU, timeoutMs: 30_000 });
    const dropped = udpSocketStats(peer.port).drops - before;
    let rmemDefault: number | undefined;
    try {
      rmemDefault = Number(
        Deno.readTextFileSync("/proc/sys/net/core/rmem_default").trim(),
      );
    } catch {
      // Not Linux.
    }
    return { datagrams: r.sent - dropped, rmemDefault };
  } finally {
    Deno.kill(peer.pid, "SIGCONT");
    await peer.stop();
  }
}

/** What the UDP section measured. */
export type UdpMeasured = Pick<
  Measured,
  "udp" | "udpHalf" | "receiverLabels" | "udpBuffer" | "udpProfiles"
>;

/**
 * The UDP section: every receiver's loss at the fixed rate and its highest
 * loss-free rate, the slack of a default receive buffer, and the syscall
 * profiles of some receivers (full runs).
 */
export async function measureUdp(
  b: Bench,
  udpsend: string,
): Promise<UdpMeasured> {
  const specs = receiverSpecs(b);
  const settings = {
    ...b.settings.udp,
    runs: b.settings.runs,
    scratch: b.scratch,
  };
  const udp = await measureReceivers(
    b.host,
    udpsend,
    specs,
    settings,
    b.progress,
  );
  // The loss figure's rate is relative to Deno's own floor, measured just
  // now: half of the floor's (median) highest loss-free rate.
  const floorRate = median(
    (udp.get("floor") ?? []).map((r) => r.maxLossFree)
      .filter((x): x is number => x !== undefined),
  );
  let udpHalf: Measured["udpHalf"];
  if (floorRate === undefined || floorRate < 2) {
    b.notes.push(
      "Deno's floor (receive loop) has no loss-free rate in this run: " +
        "the loss at half of it was not measured.",
    );
  } else {
    const rate = Math.round(floorRate / 2);
    b.progress(`udp: at half the floor's loss-free rate, ${rate}/s`);
    udpHalf = {
      rate,
      runs: await measureReceivers(
        b.host,
        udpsend,
        specs.filter((spec) => HALF_FLOOR_KEYS.includes(spec.key)),
        settings,
        b.progress,
        rate,
      ),
    };
  }
  const recv = b.built.get("udp_recv");
  const udpBuffer = recv
    ? await bufferCapacity(b.host, udpsend, recv, b.settings.udp.size)
      .catch(() => undefined)
    : undefined;
  const udpProfiles = b.profile
    ? await profileReceivers(b, udpsend, specs)
    : [];
  return {
    udp,
    udpHalf,
    receiverLabels: new Map(specs.map((spec) => [spec.key, spec.label])),
    udpBuffer,
    udpProfiles,
  };
}

/** The receivers of the UDP section: the listener's variants, Deno's floor, the C loop where built. */
function receiverSpecs(b: Bench): ReceiverSpec[] {
  const { deno, settings: s } = b;
  const listener = [deno, "run", ...s.flags.listener, s.tools.listener];
  const floor = [deno, "run", "--allow-net", "bench/peers/deno_listener.ts"];
  const specs: ReceiverSpec[] = [
    {
      key: "file",
      label: "listener --keep, output → file",
      cmd: [...listener, "--keep"],
      portArgs: ["--port", "0"],
      stdoutToFile: true,
      ours: true,
      stopSignal: "SIGINT",
      linesPerDatagram: 3,
    },
    {
      key: "quiet",
      label: "listener --keep --quiet",
      cmd: [...listener, "--keep", "--quiet"],
      portArgs: ["--port", "0"],
      stdoutToFile: true,
      ours: true,
      stopSignal: "SIGINT",
    },
    {
      key: "stats",
      label: "listener --keep --stats --quiet",
      cmd: [...listener, "--keep", "--stats", "--quiet"],
      portArgs: ["--port", "0"],
      stdoutToFile: true,
      ours: true,
      stopSignal: "SIGINT",
      numbered: true,
    },
    {
      key: "floor",
      label: "Deno floor (receive loop)",
      cmd: [...floor, "--quiet"],
      portArgs: ["--port", "0"],
      stdoutToFile: false,
      ours: false,
      stopSignal: "SIGINT",
    },
  ];
  const recv = b.built.get("udp_recv");
  if (recv) {
    specs.push({
      key: "c",
      label: "C recv loop",
      cmd: [recv],
      portArgs: ["0"],
      stdoutToFile: false,
      ours: false,
      stopSignal: "SIGTERM",
    });
    if (!s.quick) {
      specs.push({
        key: "c-file",
        label: "C recv loop, 3 lines → file (stdio)",
        cmd: [recv, "-v"],
        portArgs: ["0"],
        stdoutToFile: true,
        ours: false,
        stopSignal: "SIGTERM",
        linesPerDatagram: 3,
      });
    }
  }
  return specs;
}

/** Syscalls per datagram of the listener and the C loop at 5,000/s, under strace. */
async function profileReceivers(
  b: Bench,
  udpsend: string,
  specs: ReceiverSpec[],
): Promise<SyscallProfile[]> {
  const count = 3000;
  b.progress(
    `udp: syscall profiles under strace, ${count} datagrams at 5,000/s each`,
  );
  const profiles: SyscallProfile[] = [];
  const profiled = ["file", "quiet", "c"];
  for (const spec of specs.filter((x) => profiled.includes(x.key))) {
    profiles.push(
      await profileSyscalls(b.host, spec, async (port) => {
        const before = udpSocketStats(port).drops;
        const r = await runJson<{ sent: number }>(b.host, [
          udpsend,
          "-p",
          String(port),
          "-n",
          String(count),
          "-r",
          "5000",
          "-s",
          String(b.settings.udp.size),
        ], { cpu: LOAD_CPU, timeoutMs: 60_000 });
        for (let i = 0; i < 400 && udpSocketStats(port).rxQueue > 0; i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        return r.sent - (udpSocketStats(port).drops - before);
      }, b.scratch),
    );
  }
  return profiles;
}
