/**
 * Processes for the bench: start a peer and wait for the line that names its
 * port (never a sleep), stop it with a bounded wait, run a one-shot command
 * for its JSON line, and read what /proc says about a process tree.
 *
 * @module
 */

/** Matches the ready line every peer and tool prints: `…listening on ADDR:PORT`. */
export const READY_LINE: RegExp = /listening on .*:(\d+)\s*$/;

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Removes terminal colour codes (deno colours its errors) from text kept for a report. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_COLOUR, "");
}

/** How the bench runs commands on this machine. */
export interface Host {
  /** The repository root: the working directory of every command. */
  root: string;
  /** Whether `taskset` exists, so commands can be pinned to a core. */
  taskset: boolean;
}

/** A program the bench starts and measures: a server or a receiver. */
export interface PeerSpec {
  /** Its key in the results. */
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

/** A running peer: its process, the port it printed, and its stderr so far. */
export interface Peer {
  /** The process id of the program itself (wrappers exec into it). */
  pid: number;
  /** The port from the ready line. */
  port: number;
  /** Lines the peer wrote to stderr (at most 200 kept). */
  stderr: string[];
  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILLs; returns the exit code. */
  stop(signal?: Deno.Signal, timeoutMs?: number): Promise<number>;
}

/** Options of {@linkcode startPeer}. */
export interface StartPeerOptions {
  /** Core list for `taskset -c`; ignored where taskset is missing. */
  cpu?: string;
  /** File that receives the peer's stdout; `/dev/null` when absent. */
  stdoutFile?: string;
  /** How long to wait for the ready line. Default 20 s. */
  timeoutMs?: number;
}

/** The core servers and receivers run on; the load generator and senders get {@linkcode LOAD_CPU}. */
export const SERVER_CPU = "1";
/** The core of the load generator and the UDP sender. */
export const LOAD_CPU = "0";

/** The message of a thrown value, for a report. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Prefixes `taskset -c CPU` where the host has it. */
export function pinned(
  host: Host,
  cpu: string | undefined,
  cmd: string[],
): string[] {
  return cpu !== undefined && host.taskset
    ? ["taskset", "-c", cpu, ...cmd]
    : cmd;
}

/**
 * Starts `cmd` with stdout sent to a file and stderr read line by line, and
 * resolves once stderr has a line matching {@linkcode READY_LINE}.
 *
 * @throws {Error} When the peer exits or stays silent before its ready line.
 */
export async function startPeer(
  host: Host,
  cmd: string[],
  options: StartPeerOptions = {},
): Promise<Peer> {
  const argv = pinned(host, options.cpu, cmd);
  // `sh` redirects stdout to the file, then every layer execs: the pid we get
  // is the peer's own, so /proc/PID/status is the peer's.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'f=$1; shift; exec "$@" >"$f"',
      "sh",
      options.stdoutFile ?? "/dev/null",
      ...argv,
    ],
    cwd: host.root,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr: string[] = [];
  let onLine: ((line: string) => void) | undefined;
  const reading = (async (): Promise<void> => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (stderr.length < 200) stderr.push(stripAnsi(line));
        onLine?.(line);
      }
    }
    if (rest !== "" && stderr.length < 200) stderr.push(rest);
  })();
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      onLine = (line): void => {
        const m = READY_LINE.exec(line);
        if (m) resolve(Number(m[1]));
      };
      child.status.then((s) =>
        reject(
          new Error(
            `"${cmd.join(" ")}" exited with ${s.code} before it was ready: ${
              stderr.join(" | ")
            }`,
          ),
        )
      );
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `"${cmd.join(" ")}" printed no ready line in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await reading;
    throw err;
  } finally {
    clearTimeout(timer);
    onLine = undefined;
  }
  return {
    pid: child.pid,
    port,
    stderr,
    async stop(
      signal: Deno.Signal = "SIGTERM",
      stopTimeoutMs = 5000,
    ): Promise<number> {
      const family = descendants(child.pid).map((p) =>
        [p, startTime(p)] as const
      );
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      let t: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((r) =>
        t = setTimeout(() => r("late"), stopTimeoutMs)
      );
      const first = await Promise.race([child.status, late]);
      clearTimeout(t);
      if (first === "late") child.kill("SIGKILL");
      const status = await child.status;
      await reading;
      // Workers the peer forked and left behind would hold the port: end them.
      for (const [pid, started] of family) {
        if (started === undefined || startTime(pid) !== started) continue; // gone, or reused
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      return first === "late" ? 128 + 9 : status.code;
    },
  };
}

/** The result of {@linkcode runCommand}. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/** Runs a command to its end, killed after `timeoutMs`. */
export async function runCommand(
  host: Host,
  cmd: string[],
  options: { cpu?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const argv = pinned(host, options.cpu, cmd);
  const start = performance.now();
  const [name, ...args] = argv;
  const out = await new Deno.Command(name ?? "false", {
    args,
    cwd: host.root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - start,
  };
}

/**
 * Runs a command that prints one JSON object on its last stdout line.
 *
 * @throws {Error} When it fails or prints no JSON.
 */
export async function runJson<T>(
  host: Host,
  cmd: string[],
  options: { cpu?: string; timeoutMs?: number } = {},
): Promise<T> {
  const r = await runCommand(host, cmd, options);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !last.startsWith("{")) {
    throw new Error(
      `"${cmd.join(" ")}" failed (${r.code}): ${stripAnsi(r.stderr).trim()}`,
    );
  }
  return JSON.parse(last) as T;
}

/** Whether a program can be run (`name --version` or `name -v` works). */
export async function hasProgram(
  name: string,
  arg = "--version",
): Promise<boolean> {
  try {
    const out = await new Deno.Command(name, {
      args: [arg],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command name, numbered as in proc(5) from 3. */
function statFields(pid: number): string[] | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  return text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
}

/** When a process started (proc(5) field 22), to tell it from a later one with its pid. */
function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Every live descendant of `pid`, found through the ppid of each /proc entry. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const f = statFields(Number(entry.name));
    if (f?.[1] !== undefined) parent.set(Number(entry.name), Number(f[1]));
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        todo.push(child);
      }
    }
  }
  return out;
}

const CLOCK_TICKS = 100;

/**
 * CPU seconds used by `pid` and its descendants, reaped children included
 * (utime + stime + cutime + cstime of each).
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) {
    const f = statFields(p);
    if (f === undefined) continue;
    // proc(5) fields 14..17 are at indexes 11..14 here (field 3 is index 0).
    for (let i = 11; i <= 14; i++) ticks += Number(f[i] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

/** A `Vm…` line of /proc/PID/status in KiB, or undefined once the process is gone. */
export function vmKib(
  pid: number,
  field: "VmHWM" | "VmRSS",
): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readText(`/proc/${pid}/status`) ?? "",
  );
  return m ? Number(m[1]) : undefined;
}

/** The sum of VmHWM over a process and its live descendants, in KiB. */
export function treeHwmKib(pid: number): number {
  let sum = 0;
  for (const p of [pid, ...descendants(pid)]) sum += vmKib(p, "VmHWM") ?? 0;
  return sum;
}

/** Receive queue and drop count of the UDP sockets bound to `port` (IPv4 and IPv6 tables). */
export function udpSocketStats(
  port: number,
): { rxQueue: number; drops: number; found: boolean } {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let rxQueue = 0, drops = 0, found = false;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    for (const line of (readText(table) ?? "").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (!cols[1]?.endsWith(`:${hexPort}`)) continue;
      found = true;
      rxQueue += parseInt(cols[4]?.split(":")[1] ?? "0", 16);
      drops += Number(cols[12] ?? 0);
    }
  }
  return { rxQueue, drops, found };
}

/** Packets the kernel dropped from its per-CPU input backlogs (/proc/net/softnet_stat). */
export function softnetDrops(): number {
  let sum = 0;
  for (
    const line of (readText("/proc/net/softnet_stat") ?? "").trim().split("\n")
  ) {
    sum += parseInt(line.trim().split(/\s+/)[1] ?? "0", 16) || 0;
  }
  return sum;
}

/** Where the machine's CPU time went, in seconds, at one moment. */
export interface CpuSnapshot {
  /** Busy time of all CPUs (user, nice, system, irq, softirq, steal) from /proc/stat. */
  busy: number;
  /** CPU time of kernel threads (children of kthreadd: softirq work, writeback, …). */
  kernel: number;
  /** When, in ms (performance.now()). */
  at: number;
}

/** Takes a {@linkcode CpuSnapshot}. */
export function cpuSnapshot(): CpuSnapshot {
  const cpu =
    (readText("/proc/stat") ?? "").split("\n")[0]?.trim().split(/\s+/).slice(
      1,
    ) ?? [];
  const n = (i: number): number => Number(cpu[i] ?? 0);
  const busy = n(0) + n(1) + n(2) + n(5) + n(6) + n(7);
  let kernel = 0;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const f = statFields(Number(entry.name));
    if (f?.[1] === "2") kernel += Number(f[11] ?? 0) + Number(f[12] ?? 0);
  }
  return {
    busy: busy / CLOCK_TICKS,
    kernel: kernel / CLOCK_TICKS,
    at: performance.now(),
  };
}

/**
 * CPU, in cores, that neither the bench's own processes (`ownSeconds` between
 * the snapshots) nor kernel threads used: other work on the machine.
 */
export function foreignCores(
  before: CpuSnapshot,
  after: CpuSnapshot,
  ownSeconds: number,
): number {
  const wall = (after.at - before.at) / 1000;
  const other = after.busy - before.busy - (after.kernel - before.kernel) -
    ownSeconds;
  return wall > 0 ? Math.max(0, other / wall) : 0;
}

/** The write(2)-family calls a process has made (/proc/PID/io `syscw`), or undefined. */
export function writeCalls(pid: number): number | undefined {
  const m = /^syscw:\s+(\d+)/m.exec(readText(`/proc/${pid}/io`) ?? "");
  return m ? Number(m[1]) : undefined;
}
