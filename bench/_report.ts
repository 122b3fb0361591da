/**
 * The bench's figures as rows (each with its peer, ratio and target), shown
 * as an aligned text table and as Markdown.
 *
 * @module
 */

/** Units the figures come in; each has its own number format. */
export type Unit =
  | "conns/s"
  | "µs"
  | "ms"
  | "MiB"
  | "% lost"
  | "datagrams/s"
  | "cores"
  | "conns/CPU-s"
  | "calls"
  | "M instructions";

/** A target from the issue, checked against a row. */
export interface Target {
  /** What the issue asks, as written in the table. */
  text: string;
  /** `ratio`: value ÷ peer; `value`: the figure itself. */
  of: "ratio" | "value";
  op: ">=" | "<=";
  bound: number;
}

/** One figure of the bench. */
export interface Row {
  section: string;
  figure: string;
  value: number | undefined;
  unit: Unit;
  /** The peer's label, or "" for a row with no peer. */
  peer: string;
  peerValue: number | undefined;
  /** True when the value is only a lower bound (the sender could go no faster). */
  valueAtLeast?: boolean;
  peerAtLeast?: boolean;
  target?: Target;
  /** Why a value is missing, or what to know about it. */
  note?: string;
}

/** The ratio of a row to its peer, where both exist and the peer is not 0. */
export function ratio(row: Row): number | undefined {
  if (
    row.value === undefined || row.peerValue === undefined ||
    row.peerValue === 0
  ) {
    return undefined;
  }
  return row.value / row.peerValue;
}

/** PASS, MISS, or n/a (not measured) for a row with a target; "" without one. */
export function verdict(row: Row): "PASS" | "MISS" | "n/a" | "" {
  const t = row.target;
  if (t === undefined) return "";
  const x = t.of === "ratio" ? ratio(row) : row.value;
  if (x === undefined) return "n/a";
  // A lower bound passes a ≥ target it already meets; it proves nothing for ≤.
  return (t.op === ">=" ? x >= t.bound : x <= t.bound) ? "PASS" : "MISS";
}

/** Formats a number in a unit: thousands separators, decimals that matter. */
export function formatValue(
  v: number | undefined,
  unit: Unit,
  atLeast = false,
): string {
  if (v === undefined || !Number.isFinite(v)) return "n/a";
  const pre = atLeast ? "≥ " : "";
  switch (unit) {
    case "conns/s":
    case "conns/CPU-s":
    case "datagrams/s":
      return `${pre}${Math.round(v).toLocaleString("en-US")} ${unit}`;
    case "µs":
      return `${pre}${
        v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US")
      } µs`;
    case "ms":
      return `${pre}${v.toFixed(1)} ms`;
    case "MiB":
      return `${pre}${v.toFixed(1)} MiB`;
    case "calls":
      return `${pre}${v.toFixed(3)} calls`;
    case "M instructions":
      return `${pre}${v.toFixed(1)} M instructions`;
    case "cores":
      return `${pre}${v.toFixed(2)} cores`;
    case "% lost":
      return `${pre}${
        v === 0 ? "0" : v < 0.01 ? v.toFixed(4) : v.toFixed(2)
      } % lost`;
  }
}

/** Formats a ratio as `0.93×`, or `—` where there is none. */
export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "—";
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function cells(row: Row): string[] {
  return [
    row.figure,
    formatValue(row.value, row.unit, row.valueAtLeast),
    row.peer,
    row.peer === ""
      ? ""
      : formatValue(row.peerValue, row.unit, row.peerAtLeast),
    row.peer === "" ? "" : formatRatio(ratio(row)),
    row.target?.text ?? "",
    verdict(row),
  ];
}

const HEADER = [
  "figure",
  "value",
  "peer",
  "peer value",
  "ratio",
  "target",
  "result",
];

/** An aligned plain-text table, one block per section, notes after it. */
export function textTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((h, i) =>
    Math.max([...h].length, ...body.map((c) => [...(c[i] ?? "")].length))
  );
  const line = (c: string[]): string =>
    c.map((x, i) => x + " ".repeat((widths[i] ?? 0) - [...x].length)).join("  ")
      .trimEnd();
  const out = [line(HEADER), widths.map((w) => "-".repeat(w)).join("  ")];
  let section = "";
  rows.forEach((row, i) => {
    if (row.section !== section) {
      section = row.section;
      out.push(`[${section}]`);
    }
    out.push(line(body[i] ?? []));
  });
  const notes = rows.filter((r) => r.note).map((r) =>
    `  * ${r.figure}: ${r.note}`
  );
  return [...out, ...(notes.length > 0 ? ["", "notes:", ...notes] : [])].join(
    "\n",
  );
}

function md(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** The table as Markdown, with a section column and footnoted notes. */
export function markdownTable(rows: Row[]): string {
  const out = [
    `| section | ${HEADER.join(" | ")} |`,
    `|${["---", ...HEADER.map(() => "---")].join("|")}|`,
  ];
  const notes: string[] = [];
  for (const row of rows) {
    const c = cells(row);
    if (row.note) {
      notes.push(row.note);
      c[0] = `${c[0]} [${notes.length}]`;
    }
    const v = verdict(row);
    c[6] = v === "PASS" ? "**PASS**" : v === "MISS" ? "**MISS**" : v;
    out.push(`| ${[row.section, ...c].map(md).join(" | ")} |`);
  }
  if (notes.length > 0) {
    out.push("", ...notes.map((n, i) => `${i + 1}. ${n}`));
  }
  return out.join("\n");
}

/** The median of a list (undefined when empty). */
export function median(xs: readonly number[]): number | undefined {
  const s = xs.filter(Number.isFinite).toSorted((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
