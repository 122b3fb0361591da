// deno-lint-ignore-file no-console
/**
 * Builds the four tools as standalone executables with `deno compile`.
 *
 * ```sh
 * deno task compile                        # ./server ./client ./listener ./talker (this machine)
 * deno task compile --out-dir build/       # the same four in build/
 * deno task compile --target aarch64-apple-darwin   # a release build (repeatable)
 * deno task compile --all                  # release builds for every target
 * ```
 *
 * A release build writes `dist/beejnet-VERSION-TARGET/` with the four
 * executables, `dist/beejnet-VERSION-TARGET.tar.gz` (`.zip` for Windows)
 * and `dist/SHA256SUMS`; VERSION is `deno.json`'s.
 *
 * Each executable is granted `--allow-net` and nothing else (and never
 * prompts for more): the permission baked into it is its `pledge()`.
 *
 * `deno compile` joins the program to a runtime, `denort`, one per target,
 * which it downloads once per Deno version. Where it cannot, give it the
 * runtime: `DENORT_BIN=/path/to/denort` for one target, or `--runtimes DIR`
 * (or `DENORT_DIR`, which serves this machine's build too) with each
 * `denort-TARGET.zip` unzipped into `DIR/denort-TARGET/`. Every runtime is
 * checked before it is used.
 *
 * Nothing is replaced until everything was built: the executables are
 * written to a temporary directory beside the output and moved into place
 * only when all of them exist; a failure leaves what was there untouched.
 *
 * @module
 */

import { parseArgs as parseFlags } from "@std/cli/parse-args";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { entriesOf, sha256Hex, writeTarGz, writeZip } from "./_archive.ts";
import { BUNDLED, type Bundled, bundlePath } from "./bundle.ts";
import {
  releasePage,
  runtimeFileName,
  runtimeProblem,
  runtimeZip,
  type Target,
  TARGETS,
} from "./_runtime.ts";

export { type Target, TARGETS } from "./_runtime.ts";

/**
 * The programs built: `client` and `talker` from their one-module bundles
 * (`bundle/<name>.js`, scripts/bundle.ts: they start on every use), `server`
 * and `listener` from `cmd/<name>.ts`; see {@linkcode entryOf}.
 */
export const TOOLS = ["server", "client", "listener", "talker"] as const;

/** One of {@linkcode TOOLS}. */
export type Tool = (typeof TOOLS)[number];

/**
 * The module a tool is compiled from: `<entryDir>/<tool>.ts` when a directory
 * is given, else `bundle/<tool>.js` for the tools of scripts/bundle.ts's
 * `BUNDLED` and `cmd/<tool>.ts` for the others.
 *
 * @param tool The tool.
 * @param entryDir A directory of `<tool>.ts` entries to use instead.
 * @returns The entry module's absolute path.
 */
export function entryOf(tool: Tool, entryDir?: string): string {
  if (entryDir !== undefined) return join(entryDir, `${tool}.ts`);
  return (BUNDLED as readonly string[]).includes(tool)
    ? join(REPO_ROOT, bundlePath(tool as Bundled))
    : join(REPO_ROOT, "cmd", `${tool}.ts`);
}

/** Flags of every `deno compile` run: network only, no prompts, UDP API. */
export const COMPILE_FLAGS = [
  "--allow-net",
  "--no-prompt",
  "--unstable-net",
] as const;

/** Modules a tool loads that `deno compile` cannot find by itself: workers. */
const INCLUDES: Partial<Record<Tool, string[]>> = {
  server: ["lib/_greeting_worker.ts"],
};

/**
 * Runtime flags of one tool. The server's young generation is capped at
 * 1 MiB: under load it otherwise grows to twice the memory at no gain in
 * speed (bench/README.md). The listener is left alone: measured there, the
 * same cap costs it a third of its loss-free rate.
 */
const TOOL_FLAGS: Partial<Record<Tool, string[]>> = {
  server: ["--v8-flags=--max-semi-space-size=1"],
};

/** How long one `deno compile` may take, a first runtime download included. */
export const COMPILE_TIMEOUT_MS = 120_000;

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const USAGE =
  "usage: deno task compile [--out-dir DIR] [--target TARGET]... [--all] [--runtimes DIR]";

/** Options of {@linkcode compileTools}. */
export interface CompileToolsOptions {
  /**
   * Where the output goes: the executables themselves (for this machine,
   * the repo root by default) or the release directories (`dist/`).
   */
  outDir?: string;
  /** Release builds for these targets; none: the four tools for this machine. */
  targets?: Target[];
  /** A directory of runtimes, `denort-TARGET/denort[.exe]`; defaults to `DENORT_DIR`. */
  runtimesDir?: string;
  /** The runtime for the one target built; defaults to `DENORT_BIN` ("": none). */
  denortBin?: string;
  /**
   * Where `<tool>.ts` are read from, for every tool. Defaults to
   * {@linkcode entryOf}'s choice: `bundle/` for client and talker, `cmd/`.
   */
  entryDir?: string;
  /** The deno that runs `deno compile`. Defaults to the one running this. */
  deno?: string;
  /** Deadline of each `deno compile` run, in ms. */
  timeoutMs?: number;
  /** Where lines of progress go. Defaults to stdout. */
  log?: (line: string) => void;
  /** Where errors go, one line each. Defaults to stderr. */
  error?: (line: string) => void;
}

/** What {@linkcode compileArgs} needs to know of one build. */
export interface CompileArgsOptions {
  /** The executable to write. */
  output: string;
  /** The tool's entry module. */
  entry: string;
  /** A release target; none: this machine. */
  target?: Target;
}

/**
 * The arguments of the `deno compile` run that builds one tool.
 *
 * @param tool The tool.
 * @param options The output, entry module and target.
 * @returns The arguments, `compile` first.
 */
export function compileArgs(tool: Tool, options: CompileArgsOptions): string[] {
  return [
    "compile",
    ...COMPILE_FLAGS,
    ...(TOOL_FLAGS[tool] ?? []),
    ...(INCLUDES[tool] ?? []).flatMap((file) => [
      "--include",
      join(REPO_ROOT, file),
    ]),
    ...(options.target === undefined ? [] : ["--target", options.target]),
    "--output",
    options.output,
    options.entry,
  ];
}

/** The name of a tool's executable on a target. */
export function executableName(tool: Tool, target?: Target): string {
  return target?.includes("windows") ? `${tool}.exe` : tool;
}

/** The name of a release: `beejnet-VERSION-TARGET`. */
export function releaseName(version: string, target: Target): string {
  return `beejnet-${version}-${target}`;
}

/** The release archive of a target: `.zip` for Windows, else `.tar.gz`. */
export function archiveName(version: string, target: Target): string {
  return `${releaseName(version, target)}${
    target.includes("windows") ? ".zip" : ".tar.gz"
  }`;
}

/**
 * The package's version, from `deno.json` (its only home).
 *
 * @returns The `version` field.
 * @throws {TypeError} When deno.json has none.
 */
export async function readVersion(): Promise<string> {
  const config = JSON.parse(
    await Deno.readTextFile(join(REPO_ROOT, "deno.json")),
  );
  if (typeof config.version !== "string" || config.version === "") {
    throw new TypeError('deno.json has no "version"');
  }
  return config.version;
}

/** One build: a target (or this machine) and the runtime given for it. */
interface Plan {
  target: Target | undefined;
  /** The runtime's path, or undefined: deno compile downloads it. */
  runtime: string | undefined;
}

/**
 * Compiles every tool, for this machine or for release targets, printing
 * `compile: wrote <path>` for what it wrote, or one line per problem.
 *
 * @param options Output, targets, runtimes and deadline.
 * @returns The exit code: 0 when everything was written, else 1 (and
 *   nothing in the output directory changed).
 */
export async function compileTools(
  options: CompileToolsOptions = {},
): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const error = options.error ?? ((line: string) => console.error(line));
  const targets = options.targets ?? [];
  const release = targets.length > 0;
  const outDir = resolve(
    options.outDir ?? (release ? join(REPO_ROOT, "dist") : REPO_ROOT),
  );
  const entryDir = options.entryDir === undefined
    ? undefined
    : resolve(options.entryDir);
  // An empty option or variable is none (and an empty option hides the variable).
  const denortBin = (options.denortBin ?? Deno.env.get("DENORT_BIN")) ||
    undefined;
  const runtimesDir = (options.runtimesDir ?? Deno.env.get("DENORT_DIR")) ||
    undefined;

  // Named in messages as it was given, else by its path.
  const label = options.outDir === undefined
    ? `output directory ${outDir}`
    : `--out-dir ${options.outDir}`;
  const missing = await missingDirs(outDir, label, error);
  if (missing === undefined) return 1;
  const plans = await planBuilds(
    targets,
    denortBin,
    runtimesDir,
    options.runtimesDir === undefined ? "DENORT_DIR" : "--runtimes",
    error,
  );
  if (plans === undefined) return 1;
  const version = release ? await readVersion() : "";

  const created: string[] = [];
  const staging = await makeStaging(outDir, missing, created, label, error);
  if (staging === undefined) return 1;
  let done = false;
  try {
    const failures: string[] = [];
    for (const plan of plans) {
      const dir = plan.target === undefined
        ? staging
        : join(staging, releaseName(version, plan.target));
      await Deno.mkdir(dir, { recursive: true });
      for (const tool of TOOLS) {
        const output = join(dir, executableName(tool, plan.target));
        const failure = await compileOne(tool, output, plan, {
          deno: options.deno ?? Deno.execPath(),
          entry: entryOf(tool, entryDir),
          timeoutMs: options.timeoutMs ?? COMPILE_TIMEOUT_MS,
        });
        if (failure === undefined) continue;
        failures.push(failure.message);
        // A runtime that could not be had is one line per target: go on
        // and name every such target. Anything else stops the build.
        if (!failure.runtimeMissing) {
          for (const line of failures) error(line);
          return 1;
        }
        break;
      }
    }
    if (failures.length > 0) {
      for (const line of failures) error(line);
      return 1;
    }
    if (!release) {
      for (const tool of TOOLS) {
        await Deno.rename(join(staging, tool), join(outDir, tool));
      }
      done = true;
      for (const tool of TOOLS) {
        log(`compile: wrote ${shown(join(outDir, tool))}`);
      }
      return 0;
    }
    for (const { target } of plans) {
      const name = releaseName(version, target!);
      const archive = archiveName(version, target!);
      const entries = await entriesOf(join(staging, name));
      if (archive.endsWith(".zip")) {
        await writeZip(join(staging, archive), entries);
      } else {
        await writeTarGz(join(staging, archive), entries);
      }
    }
    // Everything is built: replace the old releases of these targets.
    const written: string[] = [];
    for (const { target } of plans) {
      const name = releaseName(version, target!);
      const old = join(staging, `${name}.old`);
      if (await exists(join(outDir, name))) {
        await Deno.rename(join(outDir, name), old);
      }
      await Deno.rename(join(staging, name), join(outDir, name));
      const archive = archiveName(version, target!);
      await Deno.rename(join(staging, archive), join(outDir, archive));
      written.push(
        `${shown(join(outDir, name))}/`,
        shown(join(outDir, archive)),
      );
    }
    await writeSums(outDir, version, staging);
    done = true;
    for (const path of written) log(`compile: wrote ${path}`);
    log(`compile: wrote ${shown(join(outDir, "SHA256SUMS"))}`);
    return 0;
  } finally {
    await Deno.remove(staging, { recursive: true });
    // A failed build leaves none of the directories it created behind.
    if (!done) await removeCreated(created);
  }
}

/**
 * The directories missing on the way to the output directory `dir`,
 * outermost first (`[]` when it exists), checked before anything is built;
 * `undefined`, after one line naming it and the problem, when it cannot be a
 * directory: it, or a directory above it, is a file, or cannot be looked at.
 */
async function missingDirs(
  dir: string,
  label: string,
  error: (line: string) => void,
): Promise<string[] | undefined> {
  const missing: string[] = [];
  for (let path = dir;; path = dirname(path)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (caught) {
      if (
        (caught instanceof Deno.errors.NotFound ||
          caught instanceof Deno.errors.NotADirectory) && dirname(path) !== path
      ) {
        missing.unshift(path);
        continue;
      }
      const reason = fsReason(caught);
      if (reason === undefined) throw caught;
      error(`compile: ${label}: cannot look at ${path}: ${reason}`);
      return undefined;
    }
    if (info.isDirectory) return missing;
    error(
      `compile: ${label}: ${
        path === dir ? "not a directory" : `${path} is not a directory`
      }`,
    );
    return undefined;
  }
}

/**
 * Creates the `missing` directories on the way to the output directory
 * `dir`, outermost first, each pushed onto `created` once made, and then the
 * temporary directory in `dir` that the build is written to. `undefined`,
 * after one line and with what it created removed, when the file system
 * refuses.
 */
async function makeStaging(
  dir: string,
  missing: string[],
  created: string[],
  label: string,
  error: (line: string) => void,
): Promise<string | undefined> {
  let doing = `write in ${dir}`;
  try {
    for (const path of missing) {
      doing = `create ${path}`;
      await Deno.mkdir(path);
      created.push(path);
    }
    doing = `write in ${dir}`;
    return await Deno.makeTempDir({ dir, prefix: ".compile-" });
  } catch (caught) {
    await removeCreated(created);
    const reason = fsReason(caught);
    if (reason === undefined) throw caught;
    error(`compile: ${label}: cannot ${doing}: ${reason}`);
    return undefined;
  }
}

/**
 * Removes the directories this run created, innermost first; one that is
 * no longer empty (someone else wrote there meanwhile) is left alone.
 */
async function removeCreated(created: string[]): Promise<void> {
  for (const path of created.toReversed()) {
    await Deno.remove(path).catch(() => {});
  }
}

/**
 * What a failed file system call says, without its call and path ("permission
 * denied", "read-only file system"), or `undefined` for any other error.
 */
function fsReason(caught: unknown): string | undefined {
  if (caught instanceof Deno.errors.NotCapable) {
    return "deno allows that only with --allow-all";
  }
  if (!(caught instanceof Error)) return undefined;
  const os = /^(.*?) \(os error \d+\)/.exec(caught.message);
  if (os === null) return undefined;
  return os[1]!.charAt(0).toLowerCase() + os[1]!.slice(1);
}

/**
 * The builds to make, each with its runtime checked; `undefined` (after one
 * line per problem) when a runtime given cannot serve. `runtimesFrom` names
 * where `runtimesDir` came from: `--runtimes` or `DENORT_DIR`.
 */
async function planBuilds(
  targets: Target[],
  denortBin: string | undefined,
  runtimesDir: string | undefined,
  runtimesFrom: string,
  error: (line: string) => void,
): Promise<Plan[] | undefined> {
  const host = TARGETS.find((target) => target === Deno.build.target);
  if (targets.length === 0) {
    const target = host ?? (Deno.build.target as Target);
    if (denortBin === undefined) {
      if (runtimesDir === undefined) {
        return [{ target: undefined, runtime: undefined }];
      }
      // DENORT_DIR serves this machine's build too, with its runtime.
      if (
        !(await runtimesDirServes(runtimesDir, runtimesFrom, [target], error))
      ) {
        return undefined;
      }
      const runtime = await runtimeInDir(
        runtimesDir,
        runtimesFrom,
        target,
        error,
      );
      return runtime === undefined
        ? undefined
        : [{ target: undefined, runtime }];
    }
    const problem = await runtimeProblem(denortBin, target);
    if (problem !== undefined) {
      error(runtimeMessage(`DENORT_BIN "${denortBin}"`, problem, target));
      return undefined;
    }
    return [{ target: undefined, runtime: resolve(denortBin) }];
  }
  if (
    denortBin !== undefined && runtimesDir === undefined && targets.length > 1
  ) {
    error(
      `compile: DENORT_BIN is one runtime for one target; for ${targets.length} targets use --runtimes DIR with denort-TARGET/${
        runtimeFileName(targets[0]!)
      } for each`,
    );
    return undefined;
  }
  if (
    runtimesDir !== undefined &&
    !(await runtimesDirServes(runtimesDir, runtimesFrom, targets, error))
  ) {
    return undefined;
  }
  const plans: Plan[] = [];
  let failed = false;
  for (const target of targets) {
    if (runtimesDir !== undefined) {
      const runtime = await runtimeInDir(
        runtimesDir,
        runtimesFrom,
        target,
        error,
      );
      if (runtime === undefined) failed = true;
      else plans.push({ target, runtime });
      continue;
    }
    if (denortBin === undefined) {
      plans.push({ target, runtime: undefined });
      continue;
    }
    const problem = await runtimeProblem(denortBin, target);
    if (problem !== undefined) {
      error(runtimeMessage(`DENORT_BIN "${denortBin}"`, problem, target));
      failed = true;
      continue;
    }
    plans.push({ target, runtime: resolve(denortBin) });
  }
  return failed ? undefined : plans;
}

/**
 * Whether a directory of runtimes is one; if not, one line saying so, with
 * what to put there for `targets`.
 */
async function runtimesDirServes(
  runtimesDir: string,
  runtimesFrom: string,
  targets: Target[],
  error: (line: string) => void,
): Promise<boolean> {
  let problem: string | undefined;
  try {
    if (!(await Deno.stat(runtimesDir)).isDirectory) {
      problem = "is not a directory";
    }
  } catch (caught) {
    if (caught instanceof Deno.errors.NotFound) problem = "does not exist";
    else {
      const reason = fsReason(caught);
      if (reason === undefined) throw caught;
      problem = `cannot be looked at: ${reason}`;
    }
  }
  if (problem === undefined) return true;
  if (problem !== "does not exist") {
    error(`compile: ${runtimesFrom} "${runtimesDir}" ${problem}`);
    return false;
  }
  const [one] = targets;
  const zip = targets.length === 1 && one !== undefined
    ? runtimeZip(one)
    : "each target's denort-TARGET.zip";
  error(
    `compile: ${runtimesFrom} "${runtimesDir}" ${problem}; download ${zip} of Deno ${Deno.version.deno} (${releasePage()}) and unzip it into "${
      join(
        resolve(runtimesDir),
        `denort-${targets.length === 1 ? one : "TARGET"}`,
      )
    }/"`,
  );
  return false;
}

/**
 * The checked runtime of `target` in a directory of runtimes,
 * `DIR/denort-TARGET/denort[.exe]`, or `undefined` after one line saying
 * what is wrong with it. The directory is named when it came from
 * `DENORT_DIR`: the command line does not show it.
 */
async function runtimeInDir(
  runtimesDir: string,
  runtimesFrom: string,
  target: Target,
  error: (line: string) => void,
): Promise<string | undefined> {
  const dir = join(resolve(runtimesDir), `denort-${target}`);
  const runtime = join(dir, runtimeFileName(target));
  const inDir = runtimesFrom === "DENORT_DIR" ? " in DENORT_DIR" : "";
  const zip = join(resolve(runtimesDir), runtimeZip(target));
  if (!(await exists(runtime)) && await exists(zip)) {
    error(
      `compile: the runtime for ${target}${inDir} is still zipped: unzip "${zip}" into "${dir}/" first`,
    );
    return undefined;
  }
  const problem = await runtimeProblem(runtime, target);
  if (problem !== undefined) {
    error(
      runtimeMessage(
        `the runtime for ${target}${inDir} ("${runtime}")`,
        problem,
        target,
        runtimesDir,
      ),
    );
    return undefined;
  }
  return resolve(runtime);
}

/** One line: what is wrong with a runtime, and what to download instead. */
function runtimeMessage(
  what: string,
  problem: string,
  target: Target,
  runtimesDir?: string,
): string {
  const where = runtimesDir === undefined
    ? `point DENORT_BIN at the ${runtimeFileName(target)} inside`
    : `unzip it into "${join(resolve(runtimesDir), `denort-${target}`)}/"`;
  if (problem === "is a zip") {
    return `compile: ${what} is a zip: unzip it first, then ${where}`;
  }
  const fix = `download ${
    runtimeZip(target)
  } of Deno ${Deno.version.deno} (${releasePage()}), ${
    runtimesDir === undefined ? `unzip it and ${where}` : where
  }`;
  return `compile: ${what} ${problem}; ${fix}`;
}

/** Why one `deno compile` failed, as one line. */
interface Failure {
  message: string;
  /** Its runtime could not be downloaded (and none was given). */
  runtimeMissing: boolean;
}

/** Runs one `deno compile`; `undefined` when it wrote its executable. */
async function compileOne(
  tool: Tool,
  output: string,
  plan: Plan,
  run: { deno: string; entry: string; timeoutMs: number },
): Promise<Failure | undefined> {
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  env.NO_COLOR = "1";
  if (plan.runtime !== undefined) env.DENORT_BIN = plan.runtime;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), run.timeoutMs);
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(run.deno, {
      args: compileArgs(tool, {
        output,
        entry: run.entry,
        target: plan.target,
      }),
      cwd: REPO_ROOT, // so that the repo's deno.json applies
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: timeout.signal,
    }).output();
  } finally {
    clearTimeout(timer);
  }
  const shownEntry = relative(REPO_ROOT, run.entry) || run.entry;
  const forTarget = plan.target === undefined ? "" : ` for ${plan.target}`;
  if (timeout.signal.aborted) {
    return {
      message:
        `compile: deno compile of ${shownEntry}${forTarget} did not finish within ${
          run.timeoutMs / 1000
        } s`,
      runtimeMissing: false,
    };
  }
  const stderr = new TextDecoder().decode(result.stderr);
  if (!result.success) {
    const target = plan.target ?? TARGETS.find((t) =>
      t === Deno.build.target
    ) ??
      Deno.build.target;
    if (plan.runtime === undefined && isRuntimeDownloadFailure(stderr)) {
      return {
        message:
          `compile: no runtime for ${target}: deno compile could not download ${
            runtimeZip(target as Target)
          }; on a connected machine get it from Deno ${Deno.version.deno}'s release (${releasePage()}), unzip it, and run again with ${
            plan.target === undefined
              ? "DENORT_BIN=/path/to/denort"
              : `--runtimes DIR (it unzipped into DIR/denort-${target}/)`
          }`,
        runtimeMissing: true,
      };
    }
    const last = stderr.split("\n").map((line) => line.trim()).filter((line) =>
      line !== "" && !/^(Stack backtrace:|\d+: <unknown>)$/.test(line)
    );
    return {
      message: `compile: deno compile failed for ${shownEntry}${forTarget}${
        last.length > 0 ? `: ${last.slice(-1)[0]}` : ""
      }`,
      runtimeMissing: false,
    };
  }
  const info = await Deno.stat(output).catch(() => undefined);
  if (info === undefined || !info.isFile || info.size === 0) {
    return {
      message:
        `compile: deno compile of ${shownEntry}${forTarget} wrote no executable`,
      runtimeMissing: false,
    };
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

/** `dist/SHA256SUMS`: the sum of every archive of this version in `dir`. */
async function writeSums(
  dir: string,
  version: string,
  staging: string,
): Promise<void> {
  const archives: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.isFile &&
      TARGETS.some((t) => entry.name === archiveName(version, t))
    ) {
      archives.push(entry.name);
    }
  }
  archives.sort();
  let sums = "";
  for (const name of archives) {
    sums += `${await sha256Hex(join(dir, name))}  ${name}\n`;
  }
  await Deno.writeTextFile(join(staging, "SHA256SUMS"), sums);
  await Deno.rename(join(staging, "SHA256SUMS"), join(dir, "SHA256SUMS"));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** `./name` for paths under the working directory, else the absolute path. */
function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : `./${rel}`;
}

/** The options that take a value, each with what the value is. */
const VALUES = {
  "out-dir": "directory",
  runtimes: "directory",
  target: "target",
};

/**
 * The usage error of the first option given an empty value (`--out-dir ''`
 * or `--out-dir=`), which parseArgs would take for a missing value or, worse,
 * an unknown argument `""`.
 */
function emptyValue(args: string[]): string | undefined {
  for (const [i, arg] of args.entries()) {
    if (arg === "--") return undefined;
    for (const [name, what] of Object.entries(VALUES)) {
      if (arg === `--${name}=` || (arg === `--${name}` && args[i + 1] === "")) {
        return `option "--${name}" was given an empty ${what} name ("")`;
      }
    }
  }
  return undefined;
}

/** What the command line asks for, "help", or a usage error's text. */
export type ParsedArgs = CompileToolsOptions | "help" | string;

/**
 * Parses `--out-dir DIR`, `--target TARGET` (repeatable), `--all`,
 * `--runtimes DIR` and `--help`; `--opt=value` works too.
 *
 * @param args The arguments, without the program name.
 * @returns The options, `"help"`, or a usage error's text.
 */
export function parseArgs(args: string[]): ParsedArgs {
  let problem = emptyValue(args);
  const parsed = parseFlags(args, {
    string: ["out-dir", "target", "runtimes"],
    boolean: ["all", "help"],
    collect: ["target"],
    alias: { h: "help" },
    unknown: (arg) => {
      problem ??= `unknown argument "${arg}"`;
      return false;
    },
  });
  if (problem !== undefined) return problem;
  if (parsed.help) return "help";
  const options: CompileToolsOptions = {};
  const targets: Target[] = [];
  for (const name of ["out-dir", "runtimes", "target"] as const) {
    const values = name === "target" ? parsed.target : [parsed[name]];
    for (const value of values) {
      if (value === undefined) continue;
      // parseArgs gives "" for a flag left without its value.
      if (value === "") {
        return `option "--${name}" needs a ${VALUES[name]}`;
      }
      if (name === "out-dir") options.outDir = value;
      else if (name === "runtimes") options.runtimesDir = value;
      else {
        const target = TARGETS.find((t) => t === value);
        if (target === undefined) {
          return `unknown target "${value}"; one of: ${TARGETS.join(", ")}`;
        }
        if (!targets.includes(target)) targets.push(target);
      }
    }
  }
  if (parsed.all && targets.length > 0) {
    return `give --all or --target, not both`;
  }
  if (
    options.runtimesDir !== undefined && !parsed.all && targets.length === 0
  ) {
    return `--runtimes is for release builds (--target or --all)`;
  }
  if (parsed.all) options.targets = [...TARGETS];
  else if (targets.length > 0) options.targets = targets;
  return options;
}

if (import.meta.main) {
  const parsed = parseArgs(Deno.args);
  if (parsed === "help") {
    console.log(USAGE);
    console.log(`targets: ${TARGETS.join(", ")}`);
    console.log(
      "runtimes: downloaded by deno compile, or DENORT_BIN=denort (one target), or --runtimes DIR (or DENORT_DIR=DIR, this machine's build too) with DIR/denort-TARGET/denort",
    );
  } else if (typeof parsed === "string") {
    console.error(`compile: ${parsed}`);
    console.error(USAGE);
    Deno.exitCode = 2;
  } else {
    Deno.exitCode = await compileTools(parsed);
  }
}
