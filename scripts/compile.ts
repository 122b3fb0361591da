// deno-lint-ignore-file no-console
/**
 * Builds the four tools as standalone binaries with `deno compile`:
 * `./server`, `./client`, `./listener` and `./talker` at the repo root.
 *
 * Each binary is granted `--allow-net` and nothing else (and never prompts
 * for more): the permission baked into the binary is its `pledge()`.
 *
 * ```sh
 * deno task compile                    # writes ./server ./client ./listener ./talker
 * deno task compile --out-dir build/   # writes them to build/
 * DENORT_BIN=/path/to/denort deno task compile
 * ```
 *
 * `deno compile` joins the program to a runtime binary, `denort`, that it
 * downloads once per Deno version. Where that download is impossible, fetch
 * the runtime elsewhere and point `DENORT_BIN` at it; this script says so in
 * one line instead of passing on deno's backtrace.
 *
 * @module
 */

import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The programs built, each from `cmd/<name>.ts`. */
export const TOOLS = ["server", "client", "listener", "talker"] as const;

/** Flags of every `deno compile` run: network only, no prompts, UDP API. */
export const COMPILE_FLAGS = [
  "--allow-net",
  "--no-prompt",
  "--unstable-net",
] as const;

/** Modules a tool loads that `deno compile` cannot find by itself: workers. */
const INCLUDES: Partial<Record<(typeof TOOLS)[number], string[]>> = {
  server: ["lib/_greeting_worker.ts"],
};

/**
 * Runtime flags of one tool. The server's young generation is capped at
 * 1 MiB: under load it otherwise grows to twice the memory at no gain in
 * speed (bench/README.md). The listener is left alone: measured there, the
 * same cap costs it a third of its loss-free rate.
 */
const TOOL_FLAGS: Partial<Record<(typeof TOOLS)[number], string[]>> = {
  server: ["--v8-flags=--max-semi-space-size=1"],
};

/** How long one `deno compile` may take, a first runtime download included. */
export const COMPILE_TIMEOUT_MS = 120_000;

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Options of {@linkcode compileTools}. */
export interface CompileToolsOptions {
  /** Where the binaries go. Defaults to the repo root. */
  outDir?: string;
  /** Where `<tool>.ts` are read from. Defaults to the repo's `cmd/`. */
  entryDir?: string;
  /** Path of an offline `denort`. Defaults to the `DENORT_BIN` env var. */
  denortBin?: string;
  /** Deadline of each `deno compile` run, in ms. */
  timeoutMs?: number;
}

/**
 * Compiles every tool, printing `compile: wrote <path>` for each, or one
 * error explaining the first failure.
 *
 * @param options Output and input directories, runtime and deadline.
 * @returns The exit code: 0 when all four binaries were written, else 1.
 */
export async function compileTools(
  options: CompileToolsOptions = {},
): Promise<number> {
  const outDir = resolve(options.outDir ?? REPO_ROOT);
  const entryDir = resolve(options.entryDir ?? join(REPO_ROOT, "cmd"));
  const denortBin = options.denortBin ?? Deno.env.get("DENORT_BIN");
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (denortBin !== undefined && denortBin !== "") {
    const problem = denortProblem(denortBin);
    if (problem !== undefined) {
      console.error(`compile: DENORT_BIN points to "${denortBin}", ${problem}`);
      return 1;
    }
    env.DENORT_BIN = resolve(denortBin);
  }
  await Deno.mkdir(outDir, { recursive: true });

  for (const tool of TOOLS) {
    const entry = join(entryDir, `${tool}.ts`);
    const output = join(outDir, tool);
    const shown = relative(Deno.cwd(), entry) || entry;
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(),
      options.timeoutMs ?? COMPILE_TIMEOUT_MS,
    );
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command(Deno.execPath(), {
        args: [
          "compile",
          ...COMPILE_FLAGS,
          ...(TOOL_FLAGS[tool] ?? []),
          ...(INCLUDES[tool] ?? []).flatMap((file) => [
            "--include",
            join(REPO_ROOT, file),
          ]),
          "--output",
          output,
          entry,
        ],
        cwd: REPO_ROOT, // so that the repo's deno.json applies
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: timeout.signal,
      }).output();
    } finally {
      clearTimeout(timer);
    }
    if (timeout.signal.aborted) {
      await removeLeftovers(outDir, `${tool}.tmp-`);
      console.error(
        `compile: deno compile of ${shown} did not finish within ${
          (options.timeoutMs ?? COMPILE_TIMEOUT_MS) / 1000
        } s`,
      );
      return 1;
    }
    if (!result.success) {
      const stderr = new TextDecoder().decode(result.stderr);
      if (env.DENORT_BIN === undefined && isRuntimeDownloadFailure(stderr)) {
        console.error(
          `compile: deno compile could not download its runtime (denort); ` +
            `on a connected machine get denort-${Deno.build.target}.zip ` +
            `for Deno ${Deno.version.deno}, unzip it, and run again with ` +
            `DENORT_BIN=/path/to/denort`,
        );
      } else {
        if (stderr.trim() !== "") console.error(stderr.trimEnd());
        console.error(`compile: deno compile failed for ${shown}`);
      }
      return 1;
    }
    console.log(`compile: wrote ${displayPath(output)}`);
  }
  return 0;
}

/** Why `path` cannot serve as `DENORT_BIN`, or `undefined` if it can. */
function denortProblem(path: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "which does not exist";
    throw error;
  }
  if (!info.isFile) return "which is not a file";
  const deno = Deno.statSync(Deno.execPath());
  // The same file, a hard link or copy of it, or any binary named deno.
  const same = Deno.realPathSync(path) === Deno.realPathSync(Deno.execPath()) ||
    (info.ino !== null && info.dev === deno.dev && info.ino === deno.ino) ||
    info.size === deno.size;
  if (same || /^deno(\.exe)?$/.test(basename(path))) {
    return `which is the deno CLI; deno compile needs the denort runtime ` +
      `(denort-${Deno.build.target}.zip for Deno ${Deno.version.deno})`;
  }
  return undefined;
}

/** Whether deno compile failed for want of a downloadable `denort`. */
function isRuntimeDownloadFailure(stderr: string): boolean {
  // Leave out the progress line "Download https://…/denort-….zip".
  const errors = stderr.split("\n").filter((line) => !/^Download /.test(line));
  return errors.some((line) =>
    /setting up base binary|dns error|failed to download|error sending request|denort/i
      .test(line)
  );
}

/** Removes the half-written `<tool>.tmp-*` files of a killed deno compile. */
async function removeLeftovers(dir: string, prefix: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(prefix)) await Deno.remove(join(dir, entry.name));
  }
}

/** `./name` for paths under the working directory, else the absolute path. */
function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : `./${rel}`;
}

/** Parses `--out-dir DIR` (or `--out-dir=DIR`) and `--help`. */
function parseArgs(args: string[]): CompileToolsOptions | string {
  const options: CompileToolsOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--out-dir" || arg.startsWith("--out-dir=")) {
      const value = arg === "--out-dir" ? args[++i] : arg.slice(10);
      if (value === undefined || value === "") {
        return `option "--out-dir" needs a directory`;
      }
      options.outDir = value;
    } else {
      return `unknown argument "${arg}"`;
    }
  }
  return options;
}

if (import.meta.main) {
  const parsed = parseArgs(Deno.args);
  if (parsed === "help") {
    console.log("usage: deno task compile [--out-dir DIR]");
  } else if (typeof parsed === "string") {
    console.error(`compile: ${parsed}`);
    console.error("usage: deno task compile [--out-dir DIR]");
    Deno.exitCode = 2;
  } else {
    Deno.exitCode = await compileTools(parsed);
  }
}
