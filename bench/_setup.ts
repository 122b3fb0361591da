// deno-lint-ignore-file no-console
/**
 * What every section of a run needs: its settings, the host, the C peers
 * built, the programs found, the notes for RESULTS.md and the progress clock;
 * and the machine's description for RESULTS.md.
 *
 * @module
 */

import { hasProgram, type Host, runCommand } from "./_proc.ts";
import { parseSettings, type Settings } from "./_settings.ts";

/** One run of the bench, as every section sees it. */
export interface Bench {
  settings: Settings;
  host: Host;
  /** The deno binary running the bench, which runs every Deno peer and tool. */
  deno: string;
  /** A scratch folder for output files, summaries and probes. */
  scratch: string;
  /** The C peers built: name → path. */
  built: Map<string, string>;
  /** Whether `node` exists (the Node peer). */
  node: boolean;
  /** Whether `hyperfine` exists (client wall times). */
  hyperfine: boolean;
  /**
   * Whether to count the client's instructions: a full run and valgrind
   * exists (callgrind counts are steady where wall times are not).
   */
  valgrind: boolean;
  /** Whether to profile syscalls: asked for (full runs) and strace exists. */
  profile: boolean;
  /** What RESULTS.md says under Notes: what was skipped or changed, and why. */
  notes: string[];
  /** When the run started (performance.now()). */
  started: number;
  /** Writes a progress line to stderr, with the seconds since the start. */
  progress(message: string): void;
}

const C_PEERS = [
  "loadgen",
  "udpsend",
  "epoll_server",
  "fork_server",
  "udp_recv",
  "peakrss",
];

/** Builds the C peers; returns the paths of those built, and why others were not. */
async function buildPeers(
  host: Host,
): Promise<{ built: Map<string, string>; notes: string[] }> {
  const built = new Map<string, string>();
  const notes: string[] = [];
  if (!(await hasProgram("cc"))) {
    notes.push(
      "No C compiler (`cc`): the load generator, the UDP sender and the C peers were not built, " +
        "so the TCP and UDP parts were skipped (install one: `apt-get install -y gcc`).",
    );
    return { built, notes };
  }
  await Deno.mkdir(`${host.root}/bench/build`, { recursive: true });
  for (const name of C_PEERS) {
    const out = `bench/build/${name}`;
    const r = await runCommand(host, [
      "cc",
      "-O2",
      "-Wall",
      "-o",
      out,
      `bench/peers/${name}.c`,
    ], { timeoutMs: 60_000 });
    if (r.code === 0) {
      built.set(name, `${host.root}/${out}`);
    } else {
      notes.push(
        `\`cc\` failed on bench/peers/${name}.c: ${
          r.stderr.trim().split("\n")[0]
        }`,
      );
    }
  }
  return { built, notes };
}

/**
 * Reads the flags, makes the output folders, builds the C peers, looks for
 * node, hyperfine and strace, and says on stderr what the run will measure.
 */
export async function setUp(args: string[]): Promise<Bench> {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const settings = parseSettings(args, root);
  const host: Host = {
    root,
    taskset: await hasProgram("taskset", "--version"),
  };
  const started = performance.now();
  const progress = (msg: string): void => {
    console.error(
      `[${
        ((performance.now() - started) / 1000).toFixed(0).padStart(4)
      } s] ${msg}`,
    );
  };
  const scratch = `${root}/bench/build/tmp`;
  await Deno.mkdir(scratch, { recursive: true });
  await Deno.mkdir(`${root}/${settings.outDir}`, { recursive: true });

  const { built, notes } = await buildPeers(host);
  const node = await hasProgram("node");
  if (!node) notes.push("No `node`: the Node peer was skipped.");
  const hyperfine = await hasProgram("hyperfine");
  for (const [tool, path] of Object.entries(settings.tools)) {
    if (path.startsWith("bench/peers/")) {
      notes.push(
        `cmd/${tool}.ts does not exist: its figures are of the stand-in ${path}.`,
      );
    }
  }
  progress(
    `tools: ${
      Object.values(settings.tools).join(", ")
    }; runs ${settings.runs}; ${
      settings.quick ? "quick" : "full"
    }; C peers built: ${[...built.keys()].join(", ") || "none"}`,
  );
  return {
    settings,
    host,
    deno: Deno.execPath(),
    scratch,
    built,
    node,
    hyperfine,
    valgrind: !settings.quick && await hasProgram("valgrind"),
    profile: settings.profile && await hasProgram("strace", "-V"),
    notes,
    started,
    progress,
  };
}

/** The machine, the programs and the commit a run measured, for RESULTS.md. */
export async function describeMachine(
  host: Host,
): Promise<Record<string, string>> {
  const first = async (cmd: string[]): Promise<string> => {
    try {
      const r = await runCommand(host, cmd, { timeoutMs: 10_000 });
      return (r.stdout || r.stderr).trim().split("\n")[0] ?? "";
    } catch {
      return "not found";
    }
  };
  let cpu = "unknown";
  try {
    cpu =
      /^model name\s*:\s*(.*)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))
        ?.[1] ?? cpu;
  } catch {
    // Not Linux.
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: String(navigator.hardwareConcurrency),
    cpu,
    kernel: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    node: await first(["node", "--version"]),
    cc: await first(["cc", "--version"]),
    hyperfine: await first(["hyperfine", "--version"]),
    valgrind: await first(["valgrind", "--version"]),
    commit: await first(["git", "describe", "--always", "--dirty"]),
    taskset: host.taskset
      ? "servers and receivers on core 1, load generator and sender on core 0"
      : "not found: nothing pinned",
  };
}
