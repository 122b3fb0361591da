// Helpers shared by the tests of `deno task compile` (scripts/compile.ts):
// tests/compile_script_test.ts, compile_build_test.ts, compile_release_test.ts
// and compiled_tools_test.ts. The permissions they need, stand-ins for `deno`
// and for runtime files, and runs of the compile script.

import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compileTools,
  type CompileToolsOptions,
  readVersion,
  type Target,
  TARGETS,
  TOOLS,
} from "../scripts/compile.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SCRIPT = join(ROOT, "scripts", "compile.ts");
/** Deadline of each wait for a tool: a line, an exit. */
export const DEADLINE_MS = 10_000;
/** Deadline of one run of the compile script (four `deno compile`s). */
export const BUILD_DEADLINE_MS = 600_000;

export const PERMITTED = (["run", "read", "write", "env"] as const).every((
  name,
) => Deno.permissions.querySync({ name }).state === "granted");
export const DENORT_BIN = PERMITTED
  ? (Deno.env.get("DENORT_BIN") || undefined)
  : undefined;
export const HOST = TARGETS.find((target) => target === Deno.build.target);
export const VERSION = PERMITTED ? await readVersion() : "";

/** Prints one line to stderr: why some tests are ignored. */
export function note(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

if (!PERMITTED) {
  note(
    "compile tests: not run: needs --allow-run --allow-read --allow-write --allow-env",
  );
}

// --- stand-ins -------------------------------------------------------------

/** A scratch directory, removed when disposed of. */
export async function scratch(): Promise<AsyncDisposable & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "beejnet_compile_" });
  return {
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * A fake `deno`: appends one line per run to `<dir>/deno.log` (DENORT_BIN,
 * then the arguments), then writes its `--output` (`"ok"`), fails for the
 * entry named `fail` with a compile error, or fails as deno does when it
 * cannot download its runtime (`"offline"`).
 */
export async function fakeDeno(
  dir: string,
  behaviour: "ok" | "offline" | { fail: string },
): Promise<{ path: string; runs(): Promise<string[][]> }> {
  const path = join(dir, "fake-deno");
  const log = join(dir, "deno.log");
  const fail = typeof behaviour === "object" ? behaviour.fail : "";
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
printf '%s' "DENORT_BIN=\${DENORT_BIN-unset}" >> '${log}'
for arg in "$@"; do printf '\\t%s' "$arg" >> '${log}'; done
printf '\\n' >> '${log}'
out=""; last=""; prev=""
for arg in "$@"; do
  if [ "$prev" = "--output" ]; then out="$arg"; fi
  prev="$arg"; last="$arg"
done
${
      behaviour === "offline"
        ? `echo "Download https://example.invalid/denort-x.zip" >&2
echo "error: Writing deno compile executable to temporary file" >&2
echo "    0: Setting up base binary." >&2
echo "    1: error sending request: dns error: failed to lookup address information" >&2
exit 1`
        : `case "$last" in *"${fail || "-none-"}"*)
  echo "error: TS2304 [ERROR]: Cannot find name 'oops'." >&2
  echo "Stack backtrace:" >&2
  exit 1;;
esac
printf 'new executable of %s' "$last" > "$out"`
    }
`,
  );
  await Deno.chmod(path, 0o755);
  return {
    path,
    async runs(): Promise<string[][]> {
      let text: string;
      try {
        text = await Deno.readTextFile(log);
      } catch {
        return [];
      }
      return text.trimEnd().split("\n").filter((line) => line !== "").map((
        line,
      ) => line.split("\t"));
    },
  };
}

/** The head of an executable of `target`, with the runtime's marker. */
export function fakeRuntime(
  target: Target | "elf-other",
  marker = true,
): Uint8Array {
  const bytes = new Uint8Array(4096);
  const view = new DataView(bytes.buffer);
  if (target === "elf-other" || target.includes("linux")) {
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    view.setUint16(
      18,
      target === "elf-other" ? 40 : target.startsWith("x86_64") ? 62 : 183,
      true,
    );
  } else if (target.includes("darwin")) {
    bytes.set([0xcf, 0xfa, 0xed, 0xfe]);
    view.setUint32(
      4,
      target.startsWith("x86_64") ? 0x01000007 : 0x0100000c,
      true,
    );
  } else {
    bytes.set([0x4d, 0x5a]);
    view.setUint32(0x3c, 0x80, true);
    view.setUint32(0x80, 0x00004550, true);
    view.setUint16(0x84, 0x8664, true);
  }
  if (marker) bytes.set(new TextEncoder().encode("d3n0l4nd"), 2048);
  return bytes;
}

/** Runs {@linkcode compileTools}, its lines gathered. */
export async function compile(
  options: CompileToolsOptions,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await compileTools({
    ...options,
    log: (line) => out.push(line),
    error: (line) => err.push(line),
  });
  return { code, out, err };
}

/** The names in a directory, sorted. */
export async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** An output directory holding an old build of the four tools. */
export async function oldBuild(dir: string): Promise<string> {
  const out = join(dir, "out");
  await Deno.mkdir(out);
  for (const tool of TOOLS) await Deno.writeTextFile(join(out, tool), "old");
  return out;
}

/** Asserts that the old build is untouched and nothing else appeared. */
export async function assertOldBuild(out: string): Promise<void> {
  assertEquals(await list(out), [...TOOLS].sort());
  for (const tool of TOOLS) {
    assertEquals(await Deno.readTextFile(join(out, tool)), "old", tool);
  }
}

/** A runtimes directory as `--runtimes` wants it, for `targets`. */
export async function runtimesFor(
  dir: string,
  targets: readonly Target[],
): Promise<string> {
  const runtimes = join(dir, "runtimes");
  for (const target of targets) {
    await Deno.mkdir(join(runtimes, `denort-${target}`), { recursive: true });
    await Deno.writeFile(
      join(
        runtimes,
        `denort-${target}`,
        target.includes("windows") ? "denort.exe" : "denort",
      ),
      fakeRuntime(target),
    );
  }
  return runtimes;
}

/** Runs a program to its end; the outputs as text. */
export async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; ms?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(program, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.ms ?? DEADLINE_MS),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The compile script as `deno task compile` runs it. */
export function runScript(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(Deno.execPath(), [
    "run",
    "--allow-run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    SCRIPT,
    ...args,
  ], { env: { NO_COLOR: "1", DENORT_BIN: "", DENORT_DIR: "", ...env } });
}

/** Whether a program can be run here (`tar`, `unzip`, `sha256sum`). */
export function has(program: string): boolean {
  try {
    new Deno.Command(program, {
      args: ["--help"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
