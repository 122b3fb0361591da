/**
 * The bench's figures from its measurements: each one a row beside its peer
 * from the same run, with its target where there is one. The targets are
 * relative to Deno's own floor measured in the same run (issue 16): the bare
 * `Deno.listen` loop and the bare receive loop. The C peers stay in the table
 * as the physical reference, without targets: no Deno program reaches them,
 * and what Deno reaches of them moves from machine to machine.
 *
 * @module
 */

import { instructionRows, type Timing } from "./_client.ts";
import { median, type Row, type Target, type Unit } from "./_report.ts";
import { formatProfile, type SyscallProfile } from "./_syscalls.ts";
import type { ServerRun } from "./_tcp.ts";
import type { BufferCapacity, ReceiverRun } from "./_udp.ts";

/** The median over runs of what `f` reads from each (runs without it left out). */
export function pick<T>(
  runs: T[] | undefined,
  f: (run: T) => number | undefined,
): number | undefined {
  return median(
    (runs ?? []).map(f).filter((x): x is number => x !== undefined),
  );
}

/** The first error among runs, shortened. */
export function why<T extends { error?: string }>(
  runs: T[] | undefined,
): string | undefined {
  const e = runs?.find((r) => r.error)?.error;
  return e === undefined
    ? undefined
    : e.length > 240
    ? `${e.slice(0, 240)}…`
    : e;
}

const ratioTarget = (op: ">=" | "<=", bound: number): Target => ({
  // 1.0×, not 1×: a bound reads as a ratio.
  text: `${op === ">=" ? "≥" : "≤"} ${
    Number.isInteger(bound) ? bound.toFixed(1) : bound
  }×`,
  of: "ratio",
  op,
  bound,
});

/** Everything one bench run measured. */
export interface Measured {
  /** Syscalls per connection of some servers, under strace. */
  tcpProfiles: SyscallProfile[];
  /** Syscalls per datagram of some receivers, under strace. */
  udpProfiles: SyscallProfile[];
  udpBuffer?: BufferCapacity;
  tcp?: Map<string, ServerRun[]>;
  serverLabels: Map<string, string>;
  emptyRssKib?: number;
  udp?: Map<string, ReceiverRun[]>;
  /** Loss of some receivers at half the floor's loss-free rate (a fresh receiver per run). */
  udpHalf?: { rate: number; runs: Map<string, ReceiverRun[]> };
  receiverLabels: Map<string, string>;
  client?: Map<string, Timing>;
  clientLabels: Map<string, string>;
  /** User-space instructions of some client commands (callgrind), by key. */
  clientInstructions?: Map<string, number>;
}

/** A run's measurements before any section has run. */
export function nothingMeasured(): Measured {
  return {
    tcpProfiles: [],
    udpProfiles: [],
    serverLabels: new Map(),
    receiverLabels: new Map(),
    clientLabels: new Map(),
  };
}

/** The TCP rows: connections/s, per CPU-second, load generator CPU, latency, RSS. */
export function tcpRows(m: Measured): Row[] {
  const runs = (k: string): ServerRun[] | undefined => m.tcp?.get(k);
  const label = (k: string): string => m.serverLabels.get(k) ?? k;
  const cps = (k: string): number | undefined =>
    pick(runs(k), (r) => r.throughput?.conns_per_s);
  const p50 = (k: string): number | undefined =>
    pick(runs(k), (r) => r.latency?.p50_us);
  const p99 = (k: string): number | undefined =>
    pick(runs(k), (r) => r.latency?.p99_us);
  const mib = (kib: number | undefined): number | undefined =>
    kib === undefined ? undefined : kib / 1024;
  const errs = (k: string): string | undefined => {
    const e = pick(runs(k), (r) => r.throughput?.errors);
    return e ? `median ${e} connection errors per run` : why(runs(k));
  };
  const rows: Row[] = [];
  const S1 = "TCP, 64 in flight";
  const add = (
    r: Omit<Row, "section" | "unit">,
    section = S1,
    unit: Unit = "conns/s",
  ): void => {
    rows.push({ section, unit, ...r });
  };
  const has = (k: string): boolean => m.tcp?.has(k) ?? false;
  // Connections/s at 64 in flight: the reference. A fast server is bounded
  // here by the load generator's core, so these carry no target.
  if (has("log")) {
    for (const peer of ["epoll", "node", "fork"]) {
      add({
        figure: `${label("log")}`,
        value: cps("log"),
        peer: label(peer),
        peerValue: cps(peer),
        note: errs("log") ??
          (cps(peer) === undefined ? why(runs(peer)) : undefined),
      });
    }
  }
  for (
    const k of [
      "quiet",
      "floor-log",
      "floor",
      "log-cap",
      "floor-cap",
      "node",
      "fork",
    ]
  ) {
    if (has(k)) {
      add({
        figure: label(k),
        value: cps(k),
        peer: label("epoll"),
        peerValue: cps("epoll"),
        note: errs(k),
      });
    }
  }
  if (has("workers2")) {
    add({
      figure: label("workers2"),
      value: cps("workers2"),
      peer: label("log"),
      peerValue: cps("log"),
      note: why(runs("workers2")) ?? errs("workers2"),
    });
  }
  // Connections per CPU-second of the server: what it could do on a core of
  // its own, whatever the load generator's ceiling.
  const S2 = "TCP, connections per server CPU-second";
  const perCpu = (k: string): number | undefined =>
    pick(
      runs(k),
      (r) =>
        r.throughput && r.serverCpu
          ? r.throughput.conns_per_s / r.serverCpu
          : undefined,
    );
  // The targets: against Deno's floor and Node; C as the reference.
  if (has("log")) {
    for (
      const [peer, bound] of [
        ["floor", 0.85],
        ["node", 1.5],
        ["epoll", undefined],
        ["fork", undefined],
      ] as const
    ) {
      add(
        {
          figure: label("log"),
          value: perCpu("log"),
          peer: label(peer),
          peerValue: perCpu(peer),
          target: bound === undefined ? undefined : ratioTarget(">=", bound),
          note: bound !== undefined && perCpu(peer) === undefined
            ? why(runs(peer)) ?? `no CPU reading of ${label(peer)}`
            : undefined,
        },
        S2,
        "conns/CPU-s",
      );
    }
  }
  for (const k of ["quiet", "floor", "node", "fork"]) {
    if (has(k)) {
      add(
        {
          figure: label(k),
          value: perCpu(k),
          peer: label("epoll"),
          peerValue: perCpu("epoll"),
        },
        S2,
        "conns/CPU-s",
      );
    }
  }
  const S2b = "TCP, CPU of the load generator (its core is the ceiling)";
  for (const k of ["log", "floor", "epoll"]) {
    if (has(k)) {
      add(
        {
          figure: `against ${label(k)}`,
          value: pick(runs(k), (r) => r.throughput?.cpu_util),
          peer: "",
          peerValue: undefined,
        },
        S2b,
        "cores",
      );
    }
  }
  const S3 = "TCP, 1 in flight";
  if (has("log")) {
    add(
      {
        figure: `${label("log")}: p50`,
        value: p50("log"),
        peer: label("epoll"),
        peerValue: p50("epoll"),
      },
      S3,
      "µs",
    );
    add(
      {
        figure: `${label("log")}: p99`,
        value: p99("log"),
        peer: label("epoll"),
        peerValue: p99("epoll"),
      },
      S3,
      "µs",
    );
  }
  for (const k of ["quiet", "floor", "floor-log", "node", "fork"]) {
    if (has(k)) {
      add(
        {
          figure: `${label(k)}: p50`,
          value: p50(k),
          peer: label("epoll"),
          peerValue: p50("epoll"),
        },
        S3,
        "µs",
      );
    }
  }
  const S5 = "Output: write(2) calls per connection, 64 in flight";
  const writes = (k: string): number | undefined =>
    pick(runs(k), (r) => r.writesPerConn);
  for (const k of ["log", "workers2"]) {
    if (has(k) && writes(k) !== undefined) {
      add(
        {
          figure: label(k),
          value: writes(k),
          peer: label("floor-log"),
          peerValue: writes("floor-log"),
        },
        S5,
        "calls",
      );
    }
  }
  const S4 = "Peak RSS under load";
  const empty = mib(m.emptyRssKib);
  if (has("log")) {
    add(
      {
        figure: `${label("log")}`,
        value: mib(pick(runs("log"), (r) => r.hwmKib)),
        peer: "idle `deno run` of an empty script",
        peerValue: empty,
      },
      S4,
      "MiB",
    );
  }
  for (const k of ["quiet", "floor", "log-cap", "floor-cap"]) {
    if (has(k)) {
      add(
        {
          figure: label(k),
          value: mib(pick(runs(k), (r) => r.hwmKib)),
          peer: "idle `deno run` of an empty script",
          peerValue: empty,
        },
        S4,
        "MiB",
      );
    }
  }
  if (
    has("workers2") && pick(runs("workers2"), (r) => r.treeHwmKib) !== undefined
  ) {
    add(
      {
        figure: `${label("workers2")}, all processes`,
        value: mib(pick(runs("workers2"), (r) => r.treeHwmKib)),
        peer: "idle `deno run` of an empty script",
        peerValue: empty,
      },
      S4,
      "MiB",
    );
  }
  return rows;
}

/** The receivers measured at half the floor's loss-free rate: the listener's variants and the floor. */
export const HALF_FLOOR_KEYS: readonly string[] = [
  "file",
  "quiet",
  "stats",
  "floor",
];

/**
 * The loss-free rate each listener variant must reach, as a fraction of Deno's
 * floor (the bare receive loop) in the same run (issue 16).
 */
export const UDP_FLOOR_TARGETS: ReadonlyMap<string, number> = new Map([
  ["quiet", 1.0],
  ["file", 0.85],
  ["stats", 0.9],
]);

/**
 * The UDP rows: 0 lost at half the floor's loss-free rate, the loss-free
 * rate against the floor (the targets) and against the C loop (the
 * reference), the loss at the fixed rate (a reference too), writes per
 * datagram.
 */
export function udpRows(m: Measured, rate: number): Row[] {
  const runs = (k: string): ReceiverRun[] | undefined => m.udp?.get(k);
  const label = (k: string): string => m.receiverLabels.get(k) ?? k;
  const has = (k: string): boolean => m.udp?.has(k) ?? false;
  const loss = (k: string): number | undefined =>
    pick(runs(k), (r) => r.lossPct);
  const max = (k: string): number | undefined =>
    pick(runs(k), (r) => r.maxLossFree);
  const bound = (k: string): boolean =>
    (runs(k) ?? []).some((r) => r.maxIsLowerBound);
  const rows: Row[] = [];
  const half = m.udpHalf;
  const halfRuns = (k: string): ReceiverRun[] | undefined => half?.runs.get(k);
  if (has("floor")) {
    const S0 = `UDP, half the floor's loss-free rate${
      half ? ` (${f0(half.rate)} datagrams/s)` : ""
    }`;
    for (const k of HALF_FLOOR_KEYS) {
      if (!has(k)) continue;
      rows.push({
        section: S0,
        figure: label(k),
        value: pick(halfRuns(k), (r) => r.lossPct),
        unit: "% lost",
        peer: k === "floor" ? "" : label("floor"),
        peerValue: pick(halfRuns("floor"), (r) => r.lossPct),
        target: k === "floor"
          ? undefined
          : { text: "0 lost", of: "value", op: "<=", bound: 0 },
        note: half === undefined
          ? "not measured: the floor has no loss-free rate in this run"
          : why(halfRuns(k)),
      });
    }
    for (const [k, target] of UDP_FLOOR_TARGETS) {
      if (!has(k)) continue;
      rows.push({
        section: "UDP, highest loss-free rate, against Deno's floor",
        figure: label(k),
        value: max(k),
        valueAtLeast: bound(k),
        unit: "datagrams/s",
        peer: label("floor"),
        peerValue: max("floor"),
        peerAtLeast: bound("floor"),
        target: ratioTarget(">=", target),
        note: why(runs(k)) ?? why(runs("floor")),
      });
    }
  }
  // The C loop: the physical reference, no target.
  const S2 = "UDP, highest loss-free rate, against the C loop (reference)";
  for (const k of ["file", "quiet", "stats", "floor", "c-file"]) {
    if (!has(k)) continue;
    rows.push({
      section: S2,
      figure: label(k),
      value: max(k),
      valueAtLeast: bound(k),
      unit: "datagrams/s",
      peer: label("c"),
      peerValue: max("c"),
      peerAtLeast: bound("c"),
    });
  }
  const S1 = `UDP, ${rate.toLocaleString("en-US")} datagrams/s (reference)`;
  for (const k of ["file", "quiet", "stats", "floor", "c-file"]) {
    if (!has(k)) continue;
    rows.push({
      section: S1,
      figure: label(k),
      value: loss(k),
      unit: "% lost",
      peer: label("c"),
      peerValue: loss("c"),
      note: why(runs(k)),
    });
  }
  for (const k of ["file", "c-file"]) {
    const w = pick(runs(k), (r) => r.writesPerDatagram);
    if (!has(k) || w === undefined) continue;
    rows.push({
      section: `Output: write(2) calls per datagram, ${
        rate.toLocaleString("en-US")
      }/s`,
      figure: label(k),
      value: w,
      unit: "calls",
      peer: k === "c-file" ? "" : label("c-file"),
      peerValue: k === "c-file"
        ? undefined
        : pick(runs("c-file"), (r) => r.writesPerDatagram),
    });
  }
  return rows;
}

/** The client rows: one-shot wall times beside an empty `deno run`. */
export function clientRows(m: Measured): Row[] {
  const t = (k: string): number | undefined => m.client?.get(k)?.medianMs;
  const label = (k: string): string => m.clientLabels.get(k) ?? k;
  const rows: Row[] = [];
  for (
    const k of [
      "ip",
      "ip-source",
      "name",
      "floor",
      "probe-graph",
      "probe-parse-args",
      "probe-timer",
      "probe-net",
      "probe-dns",
    ]
  ) {
    if (!m.client?.has(k)) continue;
    rows.push({
      section: "Client one-shot wall time",
      figure: label(k),
      value: t(k),
      unit: "ms",
      peer: label("empty"),
      peerValue: t("empty"),
      // Wall time moves 10% from run to run: a reference; the client's
      // targets are counted in instructions.
      note: m.client.get(k)?.error,
    });
  }
  rows.push(...instructionRows(m));
  return rows;
}

function f0(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

/**
 * What bounds each figure, in sentences with the numbers that show it: the
 * load generator's ceiling, what logging costs, what Deno's own floor already
 * costs, and where the client's time goes.
 */
export function findings(m: Measured): string[] {
  const out: string[] = [];
  const tcp = (k: string): ServerRun[] | undefined => m.tcp?.get(k);
  const cps = (k: string): number | undefined =>
    pick(tcp(k), (r) => r.throughput?.conns_per_s);
  const p50 = (k: string): number | undefined =>
    pick(tcp(k), (r) => r.latency?.p50_us);
  const lg = (k: string): number | undefined =>
    pick(tcp(k), (r) => r.throughput?.cpu_util);
  const perCpu = (k: string): number | undefined =>
    pick(
      tcp(k),
      (r) =>
        r.throughput && r.serverCpu
          ? r.throughput.conns_per_s / r.serverCpu
          : undefined,
    );
  const hwm = (k: string): number | undefined =>
    pick(tcp(k), (r) => r.hwmKib === undefined ? undefined : r.hwmKib / 1024);
  const label = (k: string): string => m.serverLabels.get(k) ?? k;

  if (m.tcp) {
    const all = [...m.tcp.keys()].map(cps).filter((x): x is number =>
      x !== undefined
    );
    const ceiling = Math.max(...all);
    const log = cps("log"), node = cps("node"), fork = cps("fork");
    const lgs = ["epoll", "floor", "log"]
      .filter((k) => lg(k) !== undefined)
      .map((k) => `${lg(k)?.toFixed(2)} cores against ${label(k)}`);
    if (lgs.length > 0 && all.length > 0) {
      out.push(
        `TCP ceiling: the load generator (one core) used ${
          lgs.join(", ")
        }, and no server went past ${
          f0(ceiling)
        } conns/s: at 64 in flight a fast server is bounded by the load ` +
          "generator's core (the kernel's loopback TCP work of the connecting " +
          "side is charged to it), so ratios between fast servers are ratios of near-equals; " +
          "a server whose own CPU is near 1 core while the load generator's is below it is " +
          "bounded by itself.",
      );
    }
    // Per server CPU-second, which no ceiling bounds: what the targets are of.
    const per = ["log", "quiet", "floor", "node", "epoll", "fork"]
      .filter((k) => perCpu(k) !== undefined);
    const rc = perCpu("log"), rf = perCpu("floor"), rn = perCpu("node");
    if (rc !== undefined && per.length > 1) {
      const vs = [
        rf !== undefined
          ? `${
            (rc / rf).toFixed(2)
          }× the bare Deno.listen loop (target ≥ 0.85×)`
          : undefined,
        rn !== undefined
          ? `${(rc / rn).toFixed(2)}× Node net (target ≥ 1.5×)`
          : undefined,
      ].filter(Boolean);
      out.push(
        "Per server CPU-second, which the load generator's ceiling does not bound: " +
          per.map((k) => `${label(k)} ${f0(perCpu(k) ?? 0)}`).join(", ") +
          ` connections${
            vs.length > 0 ? `; the server is ${vs.join(" and ")}` : ""
          }` +
          (rf !== undefined && rn !== undefined
            ? `, where the bare loop itself is ${
              (rf / rn).toFixed(2)
            }× Node net.`
            : "."),
      );
    }
    if (log !== undefined && node !== undefined && fork !== undefined) {
      out.push(
        `At 64 in flight (the reference, bounded by the load generator): the server ${
          f0(log)
        } conns/s, ${(log / node).toFixed(2)}× Node net and ${
          (log / fork).toFixed(2)
        }× C fork per connection; ${
          f0(ceiling)
        } conns/s was the most any server reached.`,
      );
    }
    const quiet = cps("quiet");
    if (log !== undefined && quiet !== undefined) {
      const pl = p50("log"), pq = p50("quiet");
      out.push(
        `Logging: with a line per connection to a file the server does ${
          (log / quiet).toFixed(2)
        }× its --quiet rate` +
          (pl !== undefined && pq !== undefined
            ? `, and at 1 in flight its p50 is ${
              (pl - pq).toFixed(1)
            } µs longer (${pl.toFixed(1)} against ${pq.toFixed(1)} µs).`
            : "."),
      );
    }
    const wl = pick(tcp("log"), (r) => r.writesPerConn);
    if (wl !== undefined) {
      out.push(
        `Server output: ${
          wl.toFixed(3)
        } write(2) calls per connection at 64 in flight (one per line when 1.000: ` +
          "no batching).",
      );
    }
    const pf = p50("floor"), pc = p50("epoll"), pl = p50("log");
    if (pf !== undefined && pc !== undefined) {
      out.push(
        `Latency floor: a bare Deno.listen loop has a p50 of ${
          pf.toFixed(1)
        } µs at 1 in flight, ${(pf / pc).toFixed(2)}× C epoll's ${
          pc.toFixed(1)
        } µs` +
          (pl !== undefined
            ? `; the server adds ${(pl - pf).toFixed(1)} µs to that floor.`
            : "."),
      );
    }
    const empty = m.emptyRssKib === undefined
      ? undefined
      : m.emptyRssKib / 1024;
    const hf = hwm("floor"), hl = hwm("log");
    if (empty !== undefined && hf !== undefined) {
      out.push(
        `Memory: an empty \`deno run\` peaks at ${
          empty.toFixed(1)
        } MiB; the bare Deno.listen loop under the same load reaches ${
          hf.toFixed(1)
        } MiB (${(hf / empty).toFixed(2)}×)` +
          (hl !== undefined
            ? ` and the server ${hl.toFixed(1)} MiB, ${
              (hl - hf).toFixed(1)
            } MiB over that floor.`
            : "."),
      );
    }
    const hc = hwm("log-cap"), hfc = hwm("floor-cap");
    if (empty !== undefined && hc !== undefined) {
      out.push(
        `Young generation: as "${label("log-cap")}" the server peaks at ` +
          `${hc.toFixed(1)} MiB (${(hc / empty).toFixed(2)}×) at ${
            f0(cps("log-cap") ?? 0)
          } conns/s` +
          (hfc !== undefined
            ? `; the bare loop with a 1 MiB semi-space at ${
              hfc.toFixed(1)
            } MiB (${(hfc / empty).toFixed(2)}×).`
            : "."),
      );
    }
    const foreign = [...m.tcp.values()].flat().map((r) => r.foreign)
      .filter((x): x is number => x !== undefined);
    const redone = [...m.tcp.values()].flat().filter((r) =>
      (r.attempts ?? 1) > 1
    ).length;
    if (foreign.length > 0) {
      out.push(
        `Other work on the machine during the TCP runs: median ${
          median(foreign)?.toFixed(2)
        } cores, at most ${Math.max(...foreign).toFixed(2)}; ${redone} run${
          redone === 1 ? " was" : "s were"
        } redone for it.`,
      );
    }
  }

  if (m.tcpProfiles.length > 0) {
    out.push(
      "Syscalls per connection (strace -f -c, 8 in flight; counts only): " +
        m.tcpProfiles.map(formatProfile).join("; ") + ".",
    );
  }
  if (m.udpProfiles.length > 0) {
    out.push(
      "Syscalls per datagram (strace -f -c, 5,000/s; counts only): " +
        m.udpProfiles.map(formatProfile).join("; ") + ".",
    );
  }
  if (m.udp) {
    const loss = (k: string): string | undefined => {
      const v = pick(m.udp?.get(k), (r) => r.lossPct);
      return v === undefined
        ? undefined
        : `${m.receiverLabels.get(k) ?? k} ${v.toFixed(3)} %`;
    };
    const max = (k: string): string | undefined => {
      const v = pick(m.udp?.get(k), (r) => r.maxLossFree);
      return v === undefined
        ? undefined
        : `${m.receiverLabels.get(k) ?? k} ${f0(v)}/s`;
    };
    const keys = ["file", "quiet", "stats", "floor", "c", "c-file"];
    const b = m.udpBuffer;
    if (b !== undefined) {
      out.push(
        `UDP slack: the default receive buffer${
          b.rmemDefault ? ` (rmem_default ${f0(b.rmemDefault)} bytes)` : ""
        } held ${f0(b.datagrams)} datagrams while the receiver was stopped: ${
          (b.datagrams / 50).toFixed(1)
        } ms at 50,000/s. A receiver that stops for longer than that (a GC pause, ` +
          "a slow write of its output, being descheduled) loses datagrams, whatever its mean rate.",
      );
    }
    const w = pick(m.udp.get("file"), (r) => r.writesPerDatagram);
    if (w !== undefined) {
      const wc = pick(m.udp.get("c-file"), (r) => r.writesPerDatagram);
      out.push(
        `UDP output: with its lines going to a file the listener made ${
          w.toFixed(3)
        } write(2) calls per datagram at 50,000/s` +
          (wc !== undefined
            ? `, where the C loop's stdio made ${wc.toFixed(3)}.`
            : "."),
      );
    }
    const floorMax = pick(m.udp.get("floor"), (r) => r.maxLossFree);
    const cMax = pick(m.udp.get("c"), (r) => r.maxLossFree);
    if (floorMax !== undefined && cMax !== undefined) {
      const cBound = (m.udp.get("c") ?? []).some((r) => r.maxIsLowerBound);
      out.push(
        `UDP floor: Deno's bare receive loop was loss-free up to ${
          f0(floorMax)
        }/s, ${(floorMax / cMax).toFixed(2)}× the C loop's ${
          cBound ? "≥ " : ""
        }${
          f0(cMax)
        }/s (0.09× to 0.46× on the machines we measured): no Deno program gets past ` +
          "it, so the listener's targets are relative to it.",
      );
    }
    const half = m.udpHalf;
    if (half !== undefined) {
      const lost = HALF_FLOOR_KEYS.filter((k) => half.runs.has(k)).map((k) =>
        `${m.receiverLabels.get(k) ?? k} ${
          (half.runs.get(k) ?? []).map((r) =>
            r.trials[0] === undefined ? "n/a" : f0(r.trials[0].lost)
          ).join(", ")
        }`
      );
      out.push(
        `UDP at half the floor's loss-free rate (${
          f0(half.rate)
        }/s, a fresh receiver per run): datagrams lost in each run: ${
          lost.join("; ")
        }.`,
      );
    }
    out.push(
      `UDP: lost at the fixed rate: ${
        keys.map(loss).filter(Boolean).join("; ")
      }. Highest loss-free rate: ${keys.map(max).filter(Boolean).join("; ")}.`,
    );
  }

  if (m.client) {
    const t = (k: string): number | undefined => m.client?.get(k)?.medianMs;
    const e = t("empty"), g = t("probe-graph"), ip = t("ip"), name = t("name");
    const fl = t("floor"), net = t("probe-net"), dns = t("probe-dns");
    if (e !== undefined) {
      const parts = [`an empty \`deno run\` takes ${e.toFixed(1)} ms`];
      if (g !== undefined) {
        parts.push(
          `loading the client's modules without running them ${
            (g - e).toFixed(1)
          } ms more`,
        );
      }
      if (ip !== undefined && g !== undefined) {
        parts.push(
          `running it to 127.0.0.1 another ${(ip - g).toFixed(1)} ms`,
        );
      }
      if (fl !== undefined) {
        parts.push(
          `the bare Deno.connect client ${(fl - e).toFixed(1)} ms over empty`,
        );
      }
      const timer = t("probe-timer");
      if (timer !== undefined) {
        parts.push(
          `the first setTimeout/clearTimeout alone ${
            (timer - e).toFixed(1)
          } ms`,
        );
      }
      if (net !== undefined) {
        parts.push(`\`import "node:net"\` alone ${(net - e).toFixed(1)} ms`);
      }
      if (dns !== undefined) {
        parts.push(`a node:dns lookup ${(dns - e).toFixed(1)} ms`);
      }
      if (name !== undefined && ip !== undefined) {
        parts.push(
          `and the name \`localhost\` ${
            (name - ip).toFixed(1)
          } ms over the address`,
        );
      }
      out.push(`Client: ${parts.join(", ")}.`);
    }
  }
  const n = (k: string): number | undefined => m.clientInstructions?.get(k);
  const ne = n("empty"), nip = n("ip"), ng = n("probe-graph");
  if (ne !== undefined && nip !== undefined) {
    const mi = (x: number): string => `${(x / 1e6).toFixed(1)} M`;
    const parts = [
      `an empty \`deno run\` executes ${mi(ne)} user-space instructions`,
      `client 127.0.0.1 ${mi(nip)} (${(nip / ne).toFixed(2)}×)`,
    ];
    if (ng !== undefined) {
      parts.push(
        `of which loading its modules ${mi(ng - ne)} and running it ${
          mi(nip - ng)
        }`,
      );
    }
    const pa = n("probe-parse-args");
    if (pa !== undefined) {
      parts.push(
        `and @std/cli's parseArgs, loaded and called once, ${mi(pa - ne)} (${
          ((pa - ne) / ne * 100).toFixed(0)
        }% of an empty run)`,
      );
    }
    out.push(
      `Client instructions (valgrind callgrind, least of 3 runs, steady to 0.5% where wall times move 10%): ${
        parts.join(", ")
      }.`,
    );
  }
  return out;
}
