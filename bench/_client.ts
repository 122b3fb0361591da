/**
 * Whole-command wall time: each command is first run once and its output
 * checked, then timed with hyperfine where it exists (median of its runs), or
 * with an interleaved loop of our own.
 *
 * @module
 */

import { type Host, runCommand } from "./_proc.ts";
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
            (r.stdout + r.stderr).trim().slice(0, 300)
          }`,
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
    const json = `${o.scratch}/hyperfine.json`;
    const r = await runCommand(host, [
      "hyperfine",
      "--shell=none",
      "--style=none",
      `--warmup=${o.warmup}`,
      `--runs=${o.runs}`,
      `--export-json=${json}`,
      ...ok.map((c) => c.cmd.map(shellWord).join(" ")),
    ], { timeoutMs: 300_000 });
    if (r.code === 0) {
      const data = JSON.parse(await Deno.readTextFile(json)) as {
        results: { median: number; times: number[] }[];
      };
      ok.forEach((c, i) => {
        const res = data.results[i];
        out.set(c.key, {
          medianMs: (res?.median ?? NaN) * 1000,
          runs: res?.times.length ?? 0,
        });
      });
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
