// deno-lint-ignore-file no-console
/**
 * What a run leaves behind: the table, the targets, the findings and the
 * notes on stdout; RESULTS.md in the output folder; every run's raw data in
 * bench/build/raw.json.
 *
 * @module
 */

import {
  clientRows,
  findings,
  type Measured,
  tcpRows,
  udpRows,
} from "./_figures.ts";
import { markdownTable, type Row, textTable, verdict } from "./_report.ts";
import { type Bench, describeMachine } from "./_setup.ts";

/**
 * Prints the summary and writes RESULTS.md and raw.json; returns the rows
 * with a target that could not be measured at all.
 */
export async function writeResults(b: Bench, m: Measured): Promise<Row[]> {
  const s = b.settings;
  const rows = [...tcpRows(m), ...udpRows(m, s.udp.rate), ...clientRows(m)];
  const info = await describeMachine(b.host);
  const elapsed = (performance.now() - b.started) / 1000;
  const targets = rows.filter((r) => r.target);
  const found = findings(m);
  console.log(textTable(rows));
  console.log("");
  for (const r of targets) {
    console.log(
      `${verdict(r).padEnd(4)}  ${r.figure}  ${r.target?.text} ${r.peer}`,
    );
  }
  for (const f of found) console.log(`* ${f}`);
  for (const n of b.notes) console.log(`note: ${n}`);

  await Deno.writeTextFile(
    `${b.host.root}/${s.outDir}/RESULTS.md`,
    resultsMarkdown(b, { info, elapsed, rows, targets, findings: found }),
  );
  await Deno.writeTextFile(
    `${b.host.root}/bench/build/raw.json`,
    JSON.stringify(
      {
        info,
        settings: { ...s, sections: [...s.sections] },
        tcp: Object.fromEntries(m.tcp ?? []),
        emptyRssKib: m.emptyRssKib,
        udp: Object.fromEntries(m.udp ?? []),
        client: Object.fromEntries(m.client ?? []),
      },
      null,
      1,
    ),
  );
  b.progress(
    `wrote ${s.outDir}/RESULTS.md${
      m.tcp ? ` and ${s.outDir}/connections.svg` : ""
    }`,
  );
  return targets.filter((r) => verdict(r) === "n/a");
}

/** What RESULTS.md is made of besides the run's settings and notes. */
interface Summary {
  info: Record<string, string>;
  /** Seconds the run took. */
  elapsed: number;
  rows: Row[];
  targets: Row[];
  findings: string[];
}

function resultsMarkdown(b: Bench, r: Summary): string {
  const s = b.settings;
  return [
    "# beejnet benchmark results",
    "",
    `Written by \`deno task bench${
      s.quick ? " --quick" : ""
    }\` (bench/run.ts) on ${r.info.date}, ` +
    `in ${
      r.elapsed.toFixed(0)
    } s. Medians of ${s.runs} runs; every ratio is to the peer ` +
    "measured in the same run. How to read each figure: [README.md](README.md).",
    "",
    "## Machine",
    "",
    ...Object.entries(r.info).map(([k, v]) => `- ${k}: ${v}`),
    `- tools, as run: ${
      (["server", "listener", "client"] as const).map((t) =>
        "`deno run " + [...s.flags[t], s.tools[t]].join(" ") + "`"
      ).join(", ")
    }`,
    "",
    "## Targets",
    "",
    "Relative to Deno's own floor measured in this run (the bare `Deno.listen` " +
    "loop, the bare receive loop) and to Node net; the client's in instructions. " +
    "The C peers are the physical reference, without targets. Why: " +
    "[README.md](README.md#targets).",
    "",
    ...r.targets.map((t) =>
      `- **${verdict(t)}** ${t.figure} ${t.target?.text}${
        t.target?.of === "ratio" ? ` ${t.peer}` : ""
      }`
    ),
    "",
    "## What bounds the figures",
    "",
    ...r.findings.map((f) => `- ${f}`),
    "",
    "The profiles and traces behind these, and what to change in the tools: " +
    "[README.md](README.md#findings).",
    "",
    "## Figures",
    "",
    markdownTable(r.rows),
    "",
    "![connections/s per server](connections.svg)",
    "",
    ...(b.notes.length > 0
      ? ["## Notes", "", ...b.notes.map((n) => `- ${n}`), ""]
      : []),
  ].join("\n");
}
