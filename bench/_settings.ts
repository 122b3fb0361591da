// deno-lint-ignore-file no-console
/**
 * The bench's command line: which sections to run, how many runs, which
 * tools, and how long each measurement takes (`--quick` or a full run).
 *
 * @module
 */

import type { TimeOptions } from "./_client.ts";
import type { TcpSettings } from "./_tcp.ts";
import type { UdpSettings } from "./_udp.ts";

/** The sections of a run, in the order they run. */
export const SECTIONS = ["tcp", "udp", "client"] as const;
/** One section: `--only` names some. */
export type Section = typeof SECTIONS[number];

/** What a run measures, and how long. */
export interface Settings {
  quick: boolean;
  /** Profile syscalls per event under strace (full runs, where strace exists). */
  profile: boolean;
  runs: number;
  sections: Set<Section>;
  tools: { server: string; listener: string; client: string };
  /** The `deno run` flags of each tool: its deno.json task's, else `--allow-net`. */
  flags: { server: string[]; listener: string[]; client: string[] };
  outDir: string;
  /** How long and how hard each server is loaded. */
  tcp: Omit<TcpSettings, "runs" | "scratch">;
  /** Rates and durations of the UDP trials. */
  udp: Omit<UdpSettings, "runs" | "scratch">;
  /** Runs and warmups of each timed client command. */
  client: Pick<TimeOptions, "runs" | "warmup">;
}

const USAGE =
  `usage: deno task bench [--quick] [--no-profile] [--runs N] [--only tcp,udp,client]
                       [--server PATH] [--listener PATH] [--client PATH] [--out DIR]`;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  console.error(USAGE);
  Deno.exit(2);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The words of `deno task NAME` when it is `deno run FLAGS… SCRIPT`: the
 * flags and the script, so the bench runs each tool as users do
 * (`bundle/client.js` for the client, with its flags). `undefined` without
 * such a task.
 */
function taskRun(
  root: string,
  name: string,
): { flags: string[]; script: string } | undefined {
  try {
    const config = JSON.parse(Deno.readTextFileSync(`${root}/deno.json`)) as {
      tasks?: Record<string, string>;
    };
    const words = (config.tasks?.[name] ?? "").trim().split(/\s+/);
    if (words[0] === "deno" && words[1] === "run" && words.length > 2) {
      return { flags: words.slice(2, -1), script: words.at(-1)! };
    }
  } catch {
    // No readable deno.json: none.
  }
  return undefined;
}

/**
 * The flags `deno task NAME` gives `deno run` when that task runs `script`;
 * `--allow-net` otherwise.
 */
function taskFlags(root: string, name: string, script: string): string[] {
  const run = taskRun(root, name);
  return run?.script === script ? run.flags : ["--allow-net"];
}

/**
 * Reads the bench's flags; defaults to every section of a full run, each tool
 * as its task runs it (`bundle/client.js`, `cmd/server.ts`), else at
 * `cmd/<tool>.ts` (a stand-in from bench/peers/ where neither exists).
 * A bad flag ends the process with its message and the usage (exit 2).
 */
export function parseSettings(args: string[], root: string): Settings {
  let quick = false, runs: number | undefined, outDir: string | undefined;
  let profile: boolean | undefined;
  let sections = new Set<Section>(SECTIONS);
  const tools: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) fail(`Missing value after "${arg}"`);
      return v;
    };
    if (arg === "--quick") quick = true;
    else if (arg === "--no-profile") profile = false;
    else if (arg === "--runs") {
      const v = value();
      runs = Number(v);
      if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        fail(`Invalid runs "${v}": an integer in [1, 20]`);
      }
    } else if (arg === "--only") {
      const list = value().split(",");
      for (const s of list) {
        if (!(SECTIONS as readonly string[]).includes(s)) {
          fail(`Unknown section "${s}"`);
        }
      }
      sections = new Set(list as Section[]);
    } else if (["--server", "--listener", "--client"].includes(arg)) {
      tools[arg.slice(2)] = value();
    } else if (arg === "--out") outDir = value();
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      Deno.exit(0);
    } else fail(`Unknown option "${arg}"`);
  }
  const tool = (name: string, standIn: string): string => {
    const given = tools[name];
    if (given !== undefined) return given;
    const script = taskRun(root, name)?.script;
    if (script !== undefined && exists(`${root}/${script}`)) return script;
    return exists(`${root}/cmd/${name}.ts`) ? `cmd/${name}.ts` : standIn;
  };
  const paths = {
    server: tool("server", "bench/peers/deno_server.ts"),
    listener: tool("listener", "bench/peers/deno_listener.ts"),
    client: tool("client", "bench/peers/deno_client.ts"),
  };
  return {
    quick,
    profile: profile ?? !quick,
    runs: runs ?? 3,
    sections,
    tools: paths,
    flags: {
      server: taskFlags(root, "server", paths.server),
      listener: taskFlags(root, "listener", paths.listener),
      client: taskFlags(root, "client", paths.client),
    },
    // Only a full run of every section replaces the committed results.
    outDir: outDir ??
      (quick || sections.size < SECTIONS.length ? "bench/out" : "bench"),
    tcp: quick
      ? { inFlight: 64, warmupS: 0.2, durationS: 0.6, latencyCount: 1000 }
      : { inFlight: 64, warmupS: 0.5, durationS: 3, latencyCount: 5000 },
    udp: quick
      ? {
        rate: 50_000,
        lossSeconds: 0.5,
        trialSeconds: 0.25,
        searchSteps: 3,
        flatOutCount: 60_000,
        size: 32,
      }
      : {
        rate: 50_000,
        lossSeconds: 3,
        trialSeconds: 1,
        searchSteps: 6,
        flatOutCount: 300_000,
        size: 32,
      },
    client: quick ? { runs: 5, warmup: 1 } : { runs: 30, warmup: 3 },
  };
}
