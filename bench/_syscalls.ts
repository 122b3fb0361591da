/**
 * A syscall profile: a server or receiver run under `strace -f -c` while a
 * fixed number of connections or datagrams reach it, then each syscall's
 * count divided by that number. Slow under strace, so only the counts are
 * used, never the times.
 *
 * @module
 */

import {
  descendants,
  type Host,
  type PeerSpec,
  SERVER_CPU,
  startPeer,
} from "./_proc.ts";

/** A program to profile. */
export interface ProfileSpec extends Omit<PeerSpec, "ours"> {
  /** The signal that ends it. */
  stopSignal: Deno.Signal;
}

/** Syscalls per event of one program. */
export interface SyscallProfile {
  label: string;
  events: number;
  /** Calls per event, most frequent first. */
  perEvent: [string, number][];
  total: number;
  error?: string;
}

/** Reads `strace -c` output: syscall name → calls. */
export function parseStraceSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/
      .exec(line);
    if (m?.[2] && m[2] !== "total") calls.set(m[2], Number(m[1]));
  }
  return calls;
}

/**
 * Runs `spec` under strace, lets `drive(port)` send it its events (returning
 * how many arrived), stops it with its signal, and reads the summary.
 */
export async function profileSyscalls(
  host: Host,
  spec: ProfileSpec,
  drive: (port: number) => Promise<number>,
  scratch: string,
): Promise<SyscallProfile> {
  const summary = `${scratch}/strace-${spec.key}.txt`;
  const outFile = `${scratch}/strace-${spec.key}.out`;
  let peer;
  try {
    peer = await startPeer(
      host,
      ["strace", "-f", "-c", "-o", summary, ...spec.cmd, ...spec.portArgs],
      {
        cpu: SERVER_CPU,
        stdoutFile: spec.stdoutToFile ? outFile : undefined,
        timeoutMs: 60_000,
      },
    );
  } catch (err) {
    return {
      label: spec.label,
      events: 0,
      perEvent: [],
      total: 0,
      error: String(err),
    };
  }
  let events = 0;
  try {
    events = await drive(peer.port);
  } finally {
    // Signal the traced program, not strace; strace exits after it and writes the summary.
    const tracee = descendants(peer.pid)[0];
    if (tracee !== undefined) {
      try {
        Deno.kill(tracee, spec.stopSignal);
      } catch {
        // Already gone.
      }
      for (let i = 0; i < 200; i++) {
        try {
          Deno.statSync(`/proc/${tracee}`);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    await peer.stop("SIGTERM", 10_000);
    await Deno.remove(outFile).catch(() => {});
  }
  const calls = parseStraceSummary(
    await Deno.readTextFile(summary).catch(() => ""),
  );
  await Deno.remove(summary).catch(() => {});
  const n = Math.max(1, events);
  const perEvent = [...calls].map(([name, c]) =>
    [name, c / n] as [string, number]
  )
    .sort((a, b) => b[1] - a[1]);
  return {
    label: spec.label,
    events,
    perEvent,
    total: perEvent.reduce((a, [, c]) => a + c, 0),
  };
}

/** One line: `label: total (name calls, …)` with the calls that happen at least every 20th event. */
export function formatProfile(p: SyscallProfile): string {
  if (p.error) return `${p.label}: not profiled (${p.error.slice(0, 120)})`;
  const top = p.perEvent.filter(([, c]) => c >= 0.05)
    .map(([name, c]) => `${name} ${c.toFixed(2)}`);
  return `${p.label}: ${p.total.toFixed(1)} (${top.join(", ")})`;
}
