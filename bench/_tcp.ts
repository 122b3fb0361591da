/**
 * The TCP section of the bench: start each hello server pinned to one core,
 * drive it from the C load generator pinned to the other, and read what the
 * server cost in CPU and memory meanwhile; then the servers' syscalls per
 * connection, the memory of an empty `deno run` beside them, and the chart.
 *
 * @module
 */

import type { Measured } from "./_figures.ts";
import { pick } from "./_figures.ts";
import {
  cpuSnapshot,
  foreignCores,
  type Host,
  LOAD_CPU,
  messageOf,
  type PeerSpec,
  runCommand,
  runJson,
  SERVER_CPU,
  startPeer,
  treeCpuSeconds,
  treeHwmKib,
  vmKib,
  writeCalls,
} from "./_proc.ts";
import { FOREIGN_LIMIT, RETRIES, roundRobin } from "./_repeat.ts";
import { median } from "./_report.ts";
import type { Bench } from "./_setup.ts";
import { barChart } from "./_svg.ts";
import { profileSyscalls, type SyscallProfile } from "./_syscalls.ts";

/** A server to measure. */
export type ServerSpec = PeerSpec;

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
    return { error: messageOf(err) };
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
    run.error = messageOf(err);
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
export function measureServers(
  host: Host,
  loadgen: string,
  specs: ServerSpec[],
  s: TcpSettings,
  progress: (message: string) => void,
): Promise<Map<string, ServerRun[]>> {
  return roundRobin(
    specs,
    s.runs,
    async (spec, r) => {
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
      return run;
    },
    (first) =>
      first.throughput === undefined && first.error !== undefined
        ? { error: first.error }
        : undefined,
  );
}

/** What the TCP section measured. */
export type TcpMeasured = Pick<
  Measured,
  "tcp" | "serverLabels" | "tcpProfiles" | "emptyRssKib"
>;

/**
 * The TCP section: every server under load (connections/s, latency, CPU,
 * writes, peak RSS), the syscall profiles of some (full runs), the peak RSS
 * of an empty `deno run` beside them, and the chart of connections/s.
 */
export async function measureTcp(
  b: Bench,
  loadgen: string,
): Promise<TcpMeasured> {
  const specs = await serverSpecs(b);
  const tcp = await measureServers(b.host, loadgen, specs, {
    ...b.settings.tcp,
    runs: b.settings.runs,
    scratch: b.scratch,
  }, b.progress);
  const tcpProfiles = b.profile ? await profileServers(b, loadgen, specs) : [];
  const peakrss = b.built.get("peakrss");
  const emptyRssKib = peakrss
    ? await emptyDenoRss(b, peakrss, Math.max(3, b.settings.runs))
    : undefined;
  await writeChart(b, specs, tcp);
  return {
    tcp,
    serverLabels: new Map(specs.map((spec) => [spec.key, spec.label])),
    tcpProfiles,
    emptyRssKib,
  };
}

/**
 * The servers of the TCP section, in the order they are measured and drawn:
 * the beejnet server's variants, Deno's floor, then the C and Node peers that
 * exist.
 */
async function serverSpecs(b: Bench): Promise<ServerSpec[]> {
  const { deno, settings: s } = b;
  const server = [deno, "run", ...s.flags.server, s.tools.server];
  const floor = [deno, "run", "--allow-net", "bench/peers/deno_server.ts"];
  const cap = "--v8-flags=--max-semi-space-size=1";
  const tool = (key: string, label: string, cmd: string[]): ServerSpec => ({
    key,
    label,
    cmd,
    portArgs: ["--port", "0"],
    stdoutToFile: true,
    ours: true,
  });
  const denoPeer = (
    key: string,
    label: string,
    cmd: string[],
    stdoutToFile: boolean,
  ): ServerSpec => ({
    key,
    label,
    cmd,
    portArgs: ["--port", "0"],
    stdoutToFile,
    ours: false,
  });
  const otherPeer = (
    key: string,
    label: string,
    cmd: string[],
  ): ServerSpec => ({
    key,
    label,
    cmd,
    portArgs: ["0"],
    stdoutToFile: false,
    ours: false,
  });
  const specs = [
    tool("log", "server, log → file", server),
    tool("quiet", "server --quiet", [...server, "--quiet"]),
    await workersSpec(
      b,
      tool("workers2", "server --workers 2, log → file", [
        ...server,
        "--workers",
        "2",
      ]),
    ),
    denoPeer(
      "floor",
      "Deno floor (Deno.listen loop)",
      [...floor, "--quiet"],
      false,
    ),
    denoPeer("floor-log", "Deno floor + console.log → file", floor, true),
  ];
  if (!s.quick) {
    // What a cap on V8's young generation does to memory and speed (full runs
    // only). The server as the task runs it may have V8 flags: then measure it
    // without them.
    const v8 = s.flags.server.some((f) => f.startsWith("--v8-flags"));
    specs.push(
      v8
        ? tool("log-cap", "server, log → file, no --v8-flags", [
          deno,
          "run",
          "--allow-net",
          s.tools.server,
        ])
        : tool("log-cap", "server, log → file, semi-space 1 MiB", [
          deno,
          "run",
          "--allow-net",
          cap,
          s.tools.server,
        ]),
      denoPeer("floor-cap", "Deno floor, semi-space 1 MiB", [
        deno,
        "run",
        "--allow-net",
        cap,
        "bench/peers/deno_server.ts",
        "--quiet",
      ], false),
    );
  }
  const epoll = b.built.get("epoll_server");
  if (epoll) specs.push(otherPeer("epoll", "C epoll", [epoll]));
  if (b.node) {
    specs.push(
      otherPeer("node", "Node net", ["node", "bench/peers/node_server.mjs"]),
    );
  }
  const fork = b.built.get("fork_server");
  if (fork) specs.push(otherPeer("fork", "C fork per connection", [fork]));
  return specs;
}

/**
 * `server --workers 2` as it can run: with `--allow-read` added (and a note
 * saying so) where it exits at once for want of read access.
 */
async function workersSpec(b: Bench, spec: ServerSpec): Promise<ServerSpec> {
  try {
    const peer = await startPeer(b.host, [...spec.cmd, ...spec.portArgs]);
    await peer.stop();
    return spec;
  } catch (err) {
    const message = messageOf(err);
    if (!/read access/i.test(message)) return spec;
    b.notes.push(
      "`server --workers 2` exits at once when run as its task runs it " +
        `(\`${b.settings.flags.server.join(" ")}\`): ` +
        `${
          message.replace(/^.*before it was ready: /, "")
        }. It was measured with ` +
        "`--allow-read` added.",
    );
    const [deno = "deno", run = "run", ...rest] = spec.cmd;
    return { ...spec, cmd: [deno, run, "--allow-read", ...rest] };
  }
}

/** Syscalls per connection of the C epoll server, the floor and the server, under strace. */
async function profileServers(
  b: Bench,
  loadgen: string,
  specs: ServerSpec[],
): Promise<SyscallProfile[]> {
  const count = 3000;
  b.progress(`tcp: syscall profiles under strace, ${count} connections each`);
  const profiles: SyscallProfile[] = [];
  const profiled = ["epoll", "floor", "quiet", "log"];
  for (const spec of specs.filter((x) => profiled.includes(x.key))) {
    profiles.push(
      await profileSyscalls(
        b.host,
        { ...spec, stopSignal: "SIGTERM" },
        async (port) => {
          const r = await runJson<LoadResult>(b.host, [
            loadgen,
            "-p",
            String(port),
            "-c",
            "8",
            "-n",
            String(count),
            "-t",
            "60",
          ], { cpu: LOAD_CPU, timeoutMs: 90_000 });
          return r.all_conns;
        },
        b.scratch,
      ),
    );
  }
  return profiles;
}

/** The peak RSS of an idle `deno run` of an empty script, KiB (median of `runs`). */
async function emptyDenoRss(
  b: Bench,
  peakrss: string,
  runs: number,
): Promise<number | undefined> {
  const kib: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runCommand(b.host, [
      peakrss,
      b.deno,
      "run",
      "bench/peers/empty.ts",
    ]);
    const m = /peakrss: (\{.*\})/.exec(r.stderr);
    if (m?.[1]) kib.push((JSON.parse(m[1]) as { maxrss_kb: number }).maxrss_kb);
  }
  return median(kib);
}

/** Writes `connections.svg`: connections/s of each server, in the order measured. */
async function writeChart(
  b: Bench,
  specs: ServerSpec[],
  tcp: Map<string, ServerRun[]>,
): Promise<void> {
  const { settings: s } = b;
  const svg = barChart(
    specs.map((spec) => ({
      label: spec.label,
      value: pick(tcp.get(spec.key), (r) => r.throughput?.conns_per_s),
      ours: spec.ours,
    })),
    {
      title:
        `Connections/s, ${s.tcp.inFlight} in flight (median of ${s.runs} runs)`,
      subtitle:
        `${navigator.hardwareConcurrency} cores, loopback, C load generator on core 0, ` +
        `server on core 1 — ${new Date().toISOString().slice(0, 10)}`,
      unit: "conns/s",
    },
  );
  const svgPath = `${b.host.root}/${s.outDir}/connections.svg`;
  await Deno.writeTextFile(svgPath, svg);
  // Committed beside the code, so in the layout `deno fmt --check` expects.
  await runCommand(b.host, [b.deno, "fmt", "--quiet", svgPath]).catch(() =>
    undefined
  );
}
