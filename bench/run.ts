// deno-lint-ignore-file no-console
/**
 * `deno task bench`: the beejnet tools against C, Node and Deno's own floor,
 * all measured in one run on this machine; the targets are relative to
 * Deno's floor (bench/README.md, "Targets").
 *
 * ```sh
 * deno task bench                # full run (≲ 10 min): bench/RESULTS.md, bench/connections.svg
 * deno task bench --quick        # CI smoke (≲ 60 s): bench/out/RESULTS.md, bench/out/connections.svg
 * deno task bench --only tcp,udp,client --runs 5 --server cmd/server.ts
 * ```
 *
 * Builds the C peers with `cc -O2` into bench/build/, pins every server or
 * receiver to core 1 and the load generator or sender to core 0 (where taskset
 * exists), runs each measurement `--runs` times (at least 3) round-robin and
 * reports medians, each beside its peer from the same run. The table goes to
 * stdout, progress to stderr.
 *
 * @module
 */

import { measureClient } from "./_client.ts";
import { nothingMeasured } from "./_figures.ts";
import { writeResults } from "./_results.ts";
import { setUp } from "./_setup.ts";
import { measureTcp } from "./_tcp.ts";
import { measureUdp } from "./_udp.ts";

async function main(args: string[]): Promise<number> {
  const bench = await setUp(args);
  const { sections } = bench.settings;
  const loadgen = bench.built.get("loadgen");
  const udpsend = bench.built.get("udpsend");
  const m = nothingMeasured();
  if (sections.has("tcp") && loadgen) {
    Object.assign(m, await measureTcp(bench, loadgen));
  }
  if (sections.has("udp") && udpsend) {
    Object.assign(m, await measureUdp(bench, udpsend));
  }
  if (sections.has("client")) Object.assign(m, await measureClient(bench));
  const unmeasured = await writeResults(bench, m);
  // A MISS is a finding, not a failure; a target that could not be measured
  // at all (a tool that did not start, say) fails the run, so CI notices.
  for (const r of unmeasured) {
    console.error(`bench: not measured: ${r.figure} (${r.note ?? "no value"})`);
  }
  return unmeasured.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
