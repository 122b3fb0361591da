/**
 * The TCP part of the bench: start each hello server pinned to one core,
 * drive it from the C load generator pinned to the other, and read what the
 * server cost in CPU and memory meanwhile.
 *
 * @module
 */

import {
  cpuSnapshot,
  foreignCores,
  type Host,
  runJson,
  startPeer,
  treeCpuSeconds,
  treeHwmKib,
  vmKib,
  writeCalls,
} from "./_proc.ts";

/** Other work on the machine above this (cores) during a run makes the run be redone. */
export const FOREIGN_LIMIT = 0.15;
/** How often a disturbed run is redone at most; the least disturbed one is kept. */
export const RETRIES = 2;

/** The core servers run on; the load generator and senders get {@linkcode LOAD_CPU}. */
export const SERVER_CPU = "1";
/** The core of the load generator and the UDP sender. */
export const LOAD_CPU = "0";

/** A server to measure. */
export interface ServerSpec {
  key: string;
  label: string;
  /** The command without a port: `portArgs` (`--port 0` or `0`) follow it. */
  cmd: string[];
  portArgs: string[];
  /** Send stdout to a file (the tools' normal output), else to /dev/null. */
  stdoutToFile: boolean;
  /** A beejnet tool, not a peer: drawn in the tools' colour. */
  ours: boolean;
}

/** The JSON line of bench/peers/loadgen.c. */
export interface LoadResult {
  in_flight: number;
  conns: number;
  errors: number;
  err_connect: number;
  err_read: number;
  err_greeting: number;
  first_error: string;
  seconds: number;
  conns_per_s: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  cpu_util: number;
  cpu_total: number;
  /** Every greeting received, warmup included. */
  all_conns: number;
  timed_out: boolean;
}

/** One run of one server. */
export interface ServerRun {
  throughput?: LoadResult;
  latency?: LoadResult;
  /** The server's CPU use (its process tree) during the throughput load, in cores. */
  serverCpu?: number;
  /** CPU (cores) used by other work on the machine during the throughput load. */
  foreign?: number;
  /** write(2) calls of the server per connection during the throughput load. */
  writesPerConn?: number;
  /** Attempts made for this run (more than 1: earlier ones were disturbed). */
  attempts?: number;
  /** VmHWM of the server's own process after both loads, KiB. */
  hwmKib?: number;
  /** VmHWM summed over the server and its descendants (workers), KiB. */
  treeHwmKib?: number;
  /** Lines the server wrote to its stdout file. */
  outputLines?: number;
  exitCode?: number;
  error?: string;
}

/** How long and how hard to load each server. */
export interface TcpSettings {
  runs: number;
  inFlight: number;
  warmupS: number;
  durationS: number;
  latencyCount: number;
  /** A scratch folder for the servers' output files. */
  scratch: string;
}

/** Counts newlines in a file (its readable closes it at the end). */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  const file = await Deno.open(path);
  for await (const chunk of file.readable) {
    for (const b of chunk) if (b === 10) n++;
  }
  return n;
}

async function measureOnce(
  host: Host,
  loadgen: string,
  spec: ServerSpec,
  s: TcpSettings,
): Promise<ServerRun> {
  const outFile = `${s.scratch}/${spec.key}.out`;
  let peer;
  try {
    peer = await startPeer(host, [...spec.cmd, ...spec.portArgs], {
      cpu: SERVER_CPU,
      stdoutFile: spec.stdoutToFile ? outFile : undefined,
    });
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const run: ServerRun = {};
  try {
    const port = String(peer.port);
    run.latency = await runJson<LoadResult>(
      host,
      [
        loadgen,
        "-p",
        port,
        "-c",
        "1",
        "-n",
        String(s.latencyCount),
        "-w",
        "0.2",
        "-t",
        "60",
      ],
      { cpu: LOAD_CPU, timeoutMs: 90_000 },
    );
    const writes0 = writeCalls(peer.pid);
    const cpu0 = treeCpuSeconds(peer.pid);
    const own0 = treeCpuSeconds(Deno.pid);
    const snap0 = cpuSnapshot();
    const t0 = performance.now();
    run.throughput = await runJson<LoadResult>(host, [
      loadgen,
      "-p",
      port,
      "-c",
      String(s.inFlight),
      "-d",
      String(s.durationS),
      "-w",
      String(s.warmupS),
    ], { cpu: LOAD_CPU, timeoutMs: (s.durationS + s.warmupS + 30) * 1000 });
    run.serverCpu = (treeCpuSeconds(peer.pid) - cpu0) /
      ((performance.now() - t0) / 1000);
    run.foreign = foreignCores(
      snap0,
      cpuSnapshot(),
      treeCpuSeconds(Deno.pid) - own0,
    );
    const writes1 = writeCalls(peer.pid);
    if (
      writes0 !== undefined && writes1 !== undefined &&
      run.throughput.all_conns > 0
    ) {
      run.writesPerConn = (writes1 - writes0) / run.throughput.all_conns;
    }
    run.hwmKib = vmKib(peer.pid, "VmHWM");
    run.treeHwmKib = treeHwmKib(peer.pid);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
  } finally {
    run.exitCode = await peer.stop("SIGTERM");
  }
  if (spec.stdoutToFile) {
    run.outputLines = await countLines(outFile).catch(() => undefined);
    await Deno.remove(outFile).catch(() => {});
  }
  return run;
}

/**
 * Measures every server `runs` times, round-robin (so drift on the machine
 * touches all of them alike). A server that fails to start on its first run
 * is not tried again: its runs hold the error.
 */
export async function measureServers(
  host: Host,
  loadgen: string,
  specs: ServerSpec[],
  s: TcpSettings,
  progress: (message: string) => void,
): Promise<Map<string, ServerRun[]>> {
  const results = new Map<string, ServerRun[]>(
    specs.map((spec) => [spec.key, []]),
  );
  for (let r = 0; r < s.runs; r++) {
    for (const spec of specs) {
      const runs = results.get(spec.key) ?? [];
      if (
        r > 0 && runs[0]?.throughput === undefined &&
        runs[0]?.error !== undefined
      ) {
        runs.push({ error: runs[0].error });
        continue;
      }
      let run = await measureOnce(host, loadgen, spec, s);
      let attempts = 1;
      while ((run.foreign ?? 0) > FOREIGN_LIMIT && attempts <= RETRIES) {
        progress(
          `tcp ${spec.label}: ${
            run.foreign?.toFixed(2)
          } cores of other work, again`,
        );
        const again = await measureOnce(host, loadgen, spec, s);
        attempts++;
        if (!again.error && (again.foreign ?? 0) < (run.foreign ?? 0)) {
          run = again;
        }
      }
      run.attempts = attempts;
      runs.push(run);
      progress(
        `tcp ${spec.label} run ${r + 1}/${s.runs}: ` +
          (run.error
            ? `error: ${run.error}`
            : `${Math.round(run.throughput?.conns_per_s ?? 0)} conns/s, ` +
              `p50 ${run.latency?.p50_us ?? "-"} µs, server cpu ${
                run.serverCpu?.toFixed(2)
              }, ` +
              `errors ${run.throughput?.errors ?? 0}, other work ${
                run.foreign?.toFixed(2)
              } cores, ` +
              `exit ${run.exitCode}`),
      );
    }
  }
  return results;
}
