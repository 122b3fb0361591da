/**
 * Whole-command wall time: each command is first run once and its output
 * checked, then timed with hyperfine where it exists (median of its runs), or
 * with an interleaved loop of our own.
 *
 * @module
 */

import {
  cpuSnapshot,
  foreignCores,
  type Host,
  runCommand,
  treeCpuSeconds,
} from "./_proc.ts";
import { FOREIGN_LIMIT, RETRIES } from "./_tcp.ts";
import { median } from "./_report.ts";

/** A command to time. */
export interface TimedCommand {
  key: string;
  label: string;
  cmd: string[];
  /** What its stdout must contain for the run to count (checked once, before timing). */
  expect?: RegExp;
}

/** The wall time of one command. */
export interface Timing {
  /** Median wall time, milliseconds. */
  medianMs?: number;
  runs: number;
  error?: string;
}

/** Options of {@linkcode timeCommands}. */
export interface TimeOptions {
  runs: number;
  warmup: number;
  hyperfine: boolean;
  scratch: string;
}

function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** Checks each command once, then times those that work. */
export async function timeCommands(
  host: Host,
  commands: TimedCommand[],
  o: TimeOptions,
): Promise<Map<string, Timing>> {
  const out = new Map<string, Timing>();
  const ok: TimedCommand[] = [];
  for (const c of commands) {
    try {
      const r = await runCommand(host, c.cmd, { timeoutMs: 20_000 });
      if (r.code !== 0 || (c.expect && !c.expect.test(r.stdout))) {
        out.set(c.key, {
          runs: 0,
          error: `exit ${r.code}: ${
            // deno-lint-ignore no-control-regex
            (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "").trim().slice(
              0,
              300,
            )}`,
        });
      } else ok.push(c);
    } catch (err) {
      out.set(c.key, {
        runs: 0,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  if (ok.length === 0) return out;
  if (o.hyperfine) {
    // hyperfine times each command's runs back to back; drift on a shared
    // machine would favour one command, so split the runs into rounds, each
    // in a rotated order, and take the median of all the times.
    const json = `${o.scratch}/hyperfine.json`;
    const rounds = 3;
    const pooled = new Map<string, number[]>(ok.map((c) => [c.key, []]));
    let failed = false;
    for (let round = 0; round < rounds && !failed; round++) {
      const order = [
        ...ok.slice(round % ok.length),
        ...ok.slice(0, round % ok.length),
      ];
      // A round disturbed by other work on the machine is redone; the least
      // disturbed attempt is kept.
      let best: { foreign: number; times: number[][] } | undefined;
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        const own0 = treeCpuSeconds(Deno.pid);
        const snap0 = cpuSnapshot();
        const r = await runCommand(host, [
          "hyperfine",
          "--shell=none",
          "--style=none",
          `--warmup=${o.warmup}`,
          `--runs=${Math.max(3, Math.ceil(o.runs / rounds))}`,
          `--export-json=${json}`,
          ...order.map((c) => c.cmd.map(shellWord).join(" ")),
        ], { timeoutMs: 300_000 });
        if (r.code !== 0) {
          failed = true;
          break;
        }
        const foreign = foreignCores(
          snap0,
          cpuSnapshot(),
          treeCpuSeconds(Deno.pid) - own0,
        );
        const data = JSON.parse(await Deno.readTextFile(json)) as {
          results: { times: number[] }[];
        };
        if (best === undefined || foreign < best.foreign) {
          best = {
            foreign,
            times: order.map((_, i) => data.results[i]?.times ?? []),
          };
        }
        if (foreign <= FOREIGN_LIMIT) break;
      }
      if (failed || best === undefined) break;
      const times = best.times;
      order.forEach((c, i) => pooled.get(c.key)?.push(...(times[i] ?? [])));
    }
    if (!failed) {
      for (const c of ok) {
        const t = (pooled.get(c.key) ?? []).map((x) => x * 1000);
        out.set(c.key, { medianMs: median(t), runs: t.length });
      }
      return out;
    }
    // hyperfine failed (a command failed in a later run): fall back to our loop.
  }
  const times = new Map<string, number[]>(ok.map((c) => [c.key, []]));
  const runs = Math.max(20, o.runs);
  for (let i = 0; i < o.warmup + runs; i++) {
    for (const c of ok) {
      const r = await runCommand(host, c.cmd, { timeoutMs: 20_000 });
      if (i >= o.warmup && r.code === 0) times.get(c.key)?.push(r.ms);
    }
  }
  for (const c of ok) {
    const t = times.get(c.key) ?? [];
    out.set(c.key, { medianMs: median(t), runs: t.length });
  }
  return out;
}
