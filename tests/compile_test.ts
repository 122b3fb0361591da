/**
 * Tests of `deno task compile` (scripts/compile.ts) and of the binaries it
 * writes.
 *
 * Whether `deno compile` can get its runtime (`denort`) is known only by
 * trying: with `DENORT_BIN` unset, one build into a temporary directory is
 * made when this module loads, and its outcome decides what is tested. Where
 * no runtime is available the tests of compiled tools are ignored, with one
 * line on stderr saying why.
 *
 * @module
 */

import {
  assert,
  assertMatch,
  assertNotMatch,
  assertStrictEquals,
} from "@std/assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../scripts/compile.ts", import.meta.url));
const TOOLS = ["server", "client", "listener", "talker"] as const;
/** Deadline of each wait for a tool: a line, an exit. */
const DEADLINE_MS = 10_000;
/** Deadline of one run of the compile script (four `deno compile`s). */
const BUILD_DEADLINE_MS = 600_000;

const PERMITTED = (["run", "read", "write", "env"] as const).every((name) =>
  Deno.permissions.querySync({ name }).state === "granted"
);
const DENORT_BIN = PERMITTED
  ? (Deno.env.get("DENORT_BIN") || undefined)
  : undefined;

/** One run of the compile script into a fresh temporary directory. */
interface Build {
  dir: string;
  code: number;
  stdout: string;
  stderr: string;
}

const builds = new Map<string, Promise<Build>>();
const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

/**
 * Runs the compile script once per `denortBin` (undefined: with DENORT_BIN
 * unset), as `deno task compile` does, into a temporary directory removed
 * when the module unloads.
 */
function build(denortBin: string | undefined): Promise<Build> {
  const key = denortBin ?? "";
  let result = builds.get(key);
  if (result === undefined) {
    result = (async (): Promise<Build> => {
      const dir = await Deno.makeTempDir({ prefix: "beejnet_compile_" });
      tempDirs.push(dir);
      const env = Deno.env.toObject();
      delete env.DENORT_BIN;
      if (denortBin !== undefined) env.DENORT_BIN = denortBin;
      const output = await runWithDeadline(Deno.execPath(), [
        "run",
        "--allow-run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        SCRIPT,
        "--out-dir",
        dir,
      ], { env, clearEnv: true, ms: BUILD_DEADLINE_MS });
      return { dir, ...output };
    })();
    builds.set(key, result);
  }
  return result;
}

/** Whether `path` names an existing file. */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Prints one line to stderr: why some tests are ignored. */
function note(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

if (!PERMITTED) {
  note(
    "compile_test: not run: needs --allow-run --allow-read --allow-write --allow-env",
  );
}
const RUNTIME = PERMITTED &&
  (DENORT_BIN !== undefined
    ? isFile(DENORT_BIN)
    : (await build(undefined)).code === 0);
if (PERMITTED && !RUNTIME) {
  note(
    "compile_test: compiled tools not tested: no Deno runtime (denort) available; set DENORT_BIN to run them",
  );
}

/** Rejects if `promise` has not settled within `ms`. */
async function withDeadline<T>(
  promise: Promise<T>,
  what: string,
  ms = DEADLINE_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a program to its end, killing it at the deadline. */
async function runWithDeadline(
  path: string,
  args: string[],
  options: { env?: Record<string, string>; clearEnv?: boolean; ms?: number } =
    {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const ms = options.ms ?? DEADLINE_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const output = await new Deno.Command(path, {
      args,
      env: options.env,
      clearEnv: options.clearEnv,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    assert(!controller.signal.aborted, `${path} ran longer than ${ms} ms`);
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The lines of a child's output stream, read as they come. */
class Lines {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #ended = false;
  #waiters = new Set<() => void>();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      this.lines.push(...parts);
      for (const check of this.#waiters) check();
    }
    if (rest !== "") this.lines.push(rest);
    this.#ended = true;
    for (const check of this.#waiters) check();
  }

  /** Resolves with the match of the first line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    const found = new Promise<RegExpExecArray>((resolve, reject) => {
      const check = (): void => {
        for (const line of this.lines) {
          const match = pattern.exec(line);
          if (match !== null) {
            this.#waiters.delete(check);
            return resolve(match);
          }
        }
        if (this.#ended) {
          this.#waiters.delete(check);
          reject(
            new Error(
              `Output ended with no line matching ${pattern}: ${
                JSON.stringify(this.lines)
              }`,
            ),
          );
        }
      };
      this.#waiters.add(check);
      check();
    });
    return withDeadline(found, `a line matching ${pattern}`);
  }
}

/** A running tool; disposing of it kills it if needed and drains its output. */
interface RunningTool extends AsyncDisposable {
  stdout: Lines;
  stderr: Lines;
  /** Its exit status, within the deadline. */
  status(): Promise<Deno.CommandStatus>;
}

/** Starts a tool with its output piped into {@linkcode Lines}. */
function spawnTool(path: string, args: string[]): RunningTool {
  const child = new Deno.Command(path, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((status) => {
    exited = true;
    return status;
  });
  const stdout = new Lines(child.stdout);
  const stderr = new Lines(child.stderr);
  return {
    stdout,
    stderr,
    status: () => withDeadline(status, `${path} to exit`),
    async [Symbol.asyncDispose](): Promise<void> {
      if (!exited) {
        try {
          child.kill();
        } catch {
          // It exited meanwhile.
        }
      }
      await Promise.all([status, stdout.done, stderr.done]);
    },
  };
}

/** The compiled tools, built once, or a failed assertion. */
async function compiledTools(): Promise<string> {
  const result = await build(DENORT_BIN);
  assertStrictEquals(result.code, 0, `compile failed:\n${result.stderr}`);
  return result.dir;
}

Deno.test({
  name:
    "compile task reports a missing runtime in one line, or writes all four tools",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const result = await build(undefined);
    if (result.code === 0) {
      for (const tool of TOOLS) {
        assert(isFile(join(result.dir, tool)), `no ${tool} was written`);
        assertMatch(
          result.stdout,
          new RegExp(`^compile: wrote .*${tool}$`, "m"),
        );
      }
      return;
    }
    assertStrictEquals(result.code, 1, result.stderr);
    assertStrictEquals(result.stdout, "");
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assertStrictEquals(lines.length, 1, `expected one line:\n${result.stderr}`);
    assertMatch(lines[0]!, /^compile: .*DENORT_BIN/);
    assertNotMatch(result.stderr, /Uncaught|Stack backtrace|^\s+at /m);
  },
});

Deno.test({
  name: "compiled server greets compiled client",
  ignore: !RUNTIME,
  async fn(): Promise<void> {
    const dir = await compiledTools();
    await using server = spawnTool(join(dir, "server"), ["--port", "0"]);
    await server.stdout.waitFor(/^server: waiting for connections\.\.\.$/);
    const [, port] = await server.stderr.waitFor(
      /^server: listening on .*:(\d+)$/,
    );
    const client = await runWithDeadline(join(dir, "client"), [
      "127.0.0.1",
      "--port",
      port!,
    ]);
    assertStrictEquals(client.code, 0, client.stderr);
    assertMatch(client.stdout, /^client: received 'Hello, world!'$/m);
  },
});

Deno.test({
  name: "compiled listener receives what compiled talker sends",
  ignore: !RUNTIME,
  async fn(): Promise<void> {
    const dir = await compiledTools();
    await using listener = spawnTool(join(dir, "listener"), ["--port", "0"]);
    await listener.stdout.waitFor(/^listener: waiting to recvfrom\.\.\.$/);
    const [, port] = await listener.stderr.waitFor(
      /^listener: listening on \[::\]:(\d+)$/,
    );
    const talker = await runWithDeadline(join(dir, "talker"), [
      "127.0.0.1",
      "hi",
      "--port",
      port!,
    ]);
    assertStrictEquals(talker.code, 0, talker.stderr);
    assertMatch(talker.stdout, /^talker: sent 2 bytes to 127\.0\.0\.1$/m);
    await listener.stdout.waitFor(/^listener: packet contains "hi"$/);
    assertStrictEquals((await listener.status()).code, 0);
  },
});
