// Private to cmd/: how listener --stats shows its report — a few aligned
// lines per sender, or the fields of one JSON event.

import type { SenderReport } from "../lib/datagram_stats.ts";
import { formatAddress } from "../lib/format_address.ts";

/** What a report covers besides the senders. */
export interface ReportContext {
  /** Seconds since the listener started. */
  seconds: number;
  /** Plain (not numbered) datagrams seen. */
  plain: number;
  /** Numbered datagrams from senders past the tracked limit. */
  untracked: number;
  /** Whether this is the report at the end. */
  final: boolean;
}

const ms = (value: number): string => value.toFixed(3);

/** The share of `part` in `whole`, as a percentage with two decimals. */
function percent(part: number, whole: number): string {
  return whole === 0 ? "0.00%" : `${((100 * part) / whole).toFixed(2)}%`;
}

/**
 * The report as lines, each starting with `tool: `:
 *
 * ```text
 * listener: final report after 1.52 s
 * listener: 127.0.0.1 port 41234, numbered 0-199
 * listener:   received 197   lost 9 (4.50%)   reordered 5   duplicated 6
 * listener:   delay    min 0.052   median 0.091   max 15.310 ms
 * listener:   jitter   1.024 ms (RFC 3550)
 * listener: 1 plain datagram (not numbered)
 * ```
 *
 * A sender whose headers are version 2 (`talker -c`) marks the end of its
 * run, and its counts line is followed by one of (the percentage of lost
 * then taken over the run's length, once known):
 *
 * ```text
 * listener:   run of 200 ended: 3 lost after the last arrival
 * listener:   run cut short at 150 of 200 by the sender: 0 lost after the last arrival
 * listener:   end of run not seen (the listener stopped before it, or every end marker was lost): losses after 196 are not counted
 * listener:   end of run not seen yet
 * ```
 *
 * (the last two in the final report and a periodic one). A version-1
 * sender's lines are those above, unchanged.
 */
export function reportLines(
  tool: string,
  senders: readonly SenderReport[],
  context: ReportContext,
): string[] {
  const lines = [
    `${tool}: ${context.final ? "final report" : "report"} after ${
      context.seconds.toFixed(2)
    } s`,
  ];
  if (senders.length === 0) lines.push(`${tool}: no numbered datagrams`);
  for (const s of senders) {
    lines.push(
      `${tool}: ${
        formatAddress(s.hostname)
      } port ${s.port}, numbered 0-${s.highest}`,
      `${tool}:   received ${s.received}   lost ${s.lost} (${
        percent(s.lost, runLength(s))
      })   reordered ${s.reordered}   duplicated ${s.duplicated}`,
    );
    if (s.endMarked) {
      lines.push(`${tool}:   ${runEnd(tool, s, context.final)}`);
    }
    if (s.approximate) {
      lines.push(
        `${tool}:   counts approximate: the oldest missing numbers were forgotten`,
      );
    }
    if (s.delay) {
      lines.push(
        `${tool}:   delay    min ${ms(s.delay.min)}   median ${
          ms(s.delay.median)
        }   max ${ms(s.delay.max)} ms`,
      );
      if (clocksDiffer(s)) {
        lines.push(
          `${tool}:   delay below 0: the clocks differ; delay is only meaningful on one host`,
        );
      }
    }
    lines.push(`${tool}:   jitter   ${ms(s.jitter)} ms (RFC 3550)`);
  }
  if (context.plain > 0) {
    lines.push(
      `${tool}: ${plural(context.plain, "plain datagram")} (not numbered)`,
    );
  }
  if (context.untracked > 0) {
    lines.push(
      `${tool}: ${
        plural(context.untracked, "numbered datagram")
      } from senders past the limit (not counted)`,
    );
  }
  return lines;
}

/** The numbers the run spans as far as known: to its end, once seen. */
const runLength = (s: SenderReport): number =>
  Math.max(s.highest + 1, s.expected ?? 0);

/** How a version-2 sender's run ended, or that its end was not seen. */
function runEnd(tool: string, s: SenderReport, final: boolean): string {
  const after = `${s.lostAtEnd} lost after the last arrival`;
  if (s.ended && s.cutShort) {
    return `run cut short at ${s.expected} of ${s.planned} by the sender: ${after}`;
  }
  if (s.ended) return `run of ${s.expected} ended: ${after}`;
  return final
    ? `end of run not seen (the ${tool} stopped before it, or every end marker was lost): losses after ${s.highest} are not counted`
    : "end of run not seen yet";
}

/** Whether a delay below 0 shows the sender's clock ahead of this one. */
const clocksDiffer = (s: SenderReport): boolean =>
  s.delay !== undefined && s.delay.min < 0;

const plural = (n: number, noun: string): string =>
  `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * The report as the fields of one `stats` JSON event (times in ms). A
 * version-2 sender's entry has five more fields after `jitter`: `ended`
 * (whether its end marker arrived), `expected` (datagrams the run numbered,
 * from the end marker, or `null`), `planned` (datagrams it was to number, or
 * `null`), `cutShort` (the sender stopped before `planned`: the rest is not
 * lost) and `lostAtEnd` (of `lost`, those after `highest`, counted once the
 * end is known). A version-1 sender's entry is unchanged.
 */
export function reportFields(
  senders: readonly SenderReport[],
  context: ReportContext,
): Record<string, unknown> {
  return {
    final: context.final,
    seconds: context.seconds,
    plain: context.plain,
    untracked: context.untracked,
    senders: senders.map((s) => ({
      address: formatAddress(s.hostname),
      port: s.port,
      received: s.received,
      lost: s.lost,
      reordered: s.reordered,
      duplicated: s.duplicated,
      highest: s.highest,
      approximate: s.approximate,
      delay: s.delay ?? null,
      clocksDiffer: clocksDiffer(s),
      jitter: s.jitter,
      ...(s.endMarked
        ? {
          ended: s.ended,
          expected: s.expected ?? null,
          planned: s.planned ?? null,
          cutShort: s.cutShort,
          lostAtEnd: s.lostAtEnd,
        }
        : {}),
    })),
  };
}
