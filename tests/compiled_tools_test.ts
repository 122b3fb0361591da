/**
 * The real `deno compile`, and the executables it writes: they run only
 * where `DENORT_BIN` names a real runtime (`denort`); without it those tests
 * are ignored, saying so.
 *
 * @module
 */

import { assert, assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { join } from "node:path";
import { TOOLS } from "../scripts/compile.ts";
import {
  BUILD_DEADLINE_MS,
  DEADLINE_MS,
  DENORT_BIN,
  exists,
  list,
  note,
  PERMITTED,
  run,
  SCRIPT,
  VERSION,
} from "./_compile.ts";

// --- the real deno compile -------------------------------------------------------

/** One run of the compile script with the real deno, into a temporary directory. */
let realBuild:
  | Promise<{ dir: string; code: number; stdout: string; stderr: string }>
  | undefined;
const realDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of realDirs) Deno.removeSync(dir, { recursive: true });
});

function buildForReal(): Promise<
  { dir: string; code: number; stdout: string; stderr: string }
> {
  realBuild ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "beejnet_compile_real_" });
    realDirs.push(dir);
    const result = await run(Deno.execPath(), [
      "run",
      "--allow-run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      SCRIPT,
      "--out-dir",
      dir,
    ], {
      env: { NO_COLOR: "1", DENORT_BIN: DENORT_BIN ?? "" },
      ms: BUILD_DEADLINE_MS,
    });
    return { dir, ...result };
  })();
  return realBuild;
}

Deno.test({
  name:
    "compile task: without a runtime, one line and the old tools kept; with one, all four written",
  ignore: !PERMITTED,
  sanitizeResources: false, // the build is shared with the tests below
  sanitizeOps: false,
  async fn(): Promise<void> {
    const result = await buildForReal();
    if (result.code === 0) {
      for (const tool of TOOLS) {
        assert(await exists(join(result.dir, tool)), `no ${tool} was written`);
        assertMatch(
          result.stdout,
          new RegExp(`^compile: wrote .*${tool}$`, "m"),
        );
      }
      return;
    }
    assertEquals(result.code, 1, result.stderr);
    assertEquals(result.stdout, "");
    const lines = result.stderr.split("\n").filter((line) => line !== "");
    assertEquals(lines.length, 1, `expected one line:\n${result.stderr}`);
    assertMatch(lines[0]!, /^compile: .*DENORT_BIN/);
    assertNotMatch(result.stderr, /Uncaught|Stack backtrace|^\s+at /m);
    assertEquals(await list(result.dir), [], "nothing written, nothing left");
  },
});

const REAL = DENORT_BIN !== undefined;
if (PERMITTED && !REAL) {
  note(
    "compile tests: compiled tools not run: DENORT_BIN is unset (no Deno runtime, denort, here); set it to a real denort to run them",
  );
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
    const { promise, resolve, reject } = Promise.withResolvers<
      RegExpExecArray
    >();
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
            `No line matching ${pattern}: ${JSON.stringify(this.lines)}`,
          ),
        );
      }
    };
    this.#waiters.add(check);
    check();
    const timer = setTimeout(
      () =>
        reject(
          new Error(`No line matching ${pattern} within ${DEADLINE_MS} ms`),
        ),
      DEADLINE_MS,
    );
    return promise.finally(() => {
      clearTimeout(timer);
      this.#waiters.delete(check);
    });
  }
}

/** Starts a tool; disposing of it kills it if needed and drains its output. */
function spawnTool(path: string, args: string[]): AsyncDisposable & {
  stdout: Lines;
  stderr: Lines;
  status: Promise<Deno.CommandStatus>;
} {
  const child = new Deno.Command(path, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Lines(child.stdout);
  const stderr = new Lines(child.stderr);
  let exited = false;
  const status = child.status.then((status) => {
    exited = true;
    return status;
  });
  return {
    stdout,
    stderr,
    status,
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

/** The compiled tools' directory, or a failed assertion. */
async function compiledTools(): Promise<string> {
  const result = await buildForReal();
  assertEquals(result.code, 0, `compile failed:\n${result.stderr}`);
  return result.dir;
}

Deno.test({
  name: "compiled tools show their help and version line",
  ignore: !REAL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const dir = await compiledTools();
    for (const tool of TOOLS) {
      const help = await run(join(dir, tool), ["-h"]);
      assertEquals(help.code, 0, help.stderr);
      assertMatch(help.stdout, new RegExp(`^usage: ${tool}`));
      const version = await run(join(dir, tool), ["-V"]);
      assertEquals(version.code, 0, version.stderr);
      assertEquals(
        version.stdout,
        `${tool} (beejnet) ${VERSION} (deno ${Deno.version.deno})\n`,
      );
    }
  },
});

Deno.test({
  name: "compiled server greets compiled client",
  ignore: !REAL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const dir = await compiledTools();
    await using server = spawnTool(join(dir, "server"), ["--port", "0"]);
    await server.stdout.waitFor(/^server: waiting for connections\.\.\.$/);
    const [, port] = await server.stderr.waitFor(
      /^server: listening on .*:(\d+)$/,
    );
    const client = await run(join(dir, "client"), [
      "127.0.0.1",
      "--port",
      port!,
    ]);
    assertEquals(client.code, 0, client.stderr);
    assertMatch(client.stdout, /^client: received 'Hello, world!'$/m);
  },
});

Deno.test({
  name: "compiled listener receives what compiled talker sends",
  ignore: !REAL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const dir = await compiledTools();
    await using listener = spawnTool(join(dir, "listener"), ["--port", "0"]);
    await listener.stdout.waitFor(/^listener: waiting to recvfrom\.\.\.$/);
    const [, port] = await listener.stderr.waitFor(
      /^listener: listening on \[::\]:(\d+)$/,
    );
    const talker = await run(join(dir, "talker"), [
      "127.0.0.1",
      "hi",
      "--port",
      port!,
    ]);
    assertEquals(talker.code, 0, talker.stderr);
    assertMatch(talker.stdout, /^talker: sent 2 bytes to 127\.0\.0\.1$/m);
    await listener.stdout.waitFor(/^listener: packet contains "hi"$/);
    assertEquals((await listener.status).code, 0);
  },
});
