/**
 * Tests of `deno task compile` (scripts/compile.ts) and of the executables
 * it writes.
 *
 * Everything up to `deno compile` itself is tested here with stand-ins: a
 * fake `deno` (a shell script that records its arguments and writes, or
 * fails to write, each executable) and fake runtime files (a zip, a copy of
 * `/bin/ls`, an empty file, headers of each platform's executables with the
 * runtime's marker). The compiled tools themselves run only where
 * `DENORT_BIN` names a real runtime (`denort`): without it those tests are
 * ignored, saying so.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  archiveName,
  compileArgs,
  compileTools,
  type CompileToolsOptions,
  parseArgs,
  readVersion,
  type Target,
  TARGETS,
  TOOLS,
} from "../scripts/compile.ts";
import { crc32 } from "../scripts/_archive.ts";
import { executablePlatform } from "../scripts/_runtime.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(ROOT, "scripts", "compile.ts");
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
const HOST = TARGETS.find((target) => target === Deno.build.target);
const VERSION = PERMITTED ? await readVersion() : "";

/** Prints one line to stderr: why some tests are ignored. */
function note(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

if (!PERMITTED) {
  note(
    "compile_test: not run: needs --allow-run --allow-read --allow-write --allow-env",
  );
} else if (DENORT_BIN === undefined) {
  note(
    "compile_test: compiled tools not run: DENORT_BIN is unset (no Deno runtime, denort, here); set it to a real denort to run them",
  );
}

// --- stand-ins -------------------------------------------------------------

/** A scratch directory, removed when disposed of. */
async function scratch(): Promise<AsyncDisposable & { dir: string }> {
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
async function fakeDeno(
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
function fakeRuntime(target: Target | "elf-other", marker = true): Uint8Array {
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
async function compile(
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
async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** An output directory holding an old build of the four tools. */
async function oldBuild(dir: string): Promise<string> {
  const out = join(dir, "out");
  await Deno.mkdir(out);
  for (const tool of TOOLS) await Deno.writeTextFile(join(out, tool), "old");
  return out;
}

/** Asserts that the old build is untouched and nothing else appeared. */
async function assertOldBuild(out: string): Promise<void> {
  assertEquals(await list(out), [...TOOLS].sort());
  for (const tool of TOOLS) {
    assertEquals(await Deno.readTextFile(join(out, tool)), "old", tool);
  }
}

// --- the arguments of deno compile -----------------------------------------

Deno.test({
  name: "compileArgs() grants --allow-net alone, without prompts",
  fn(): void {
    for (const tool of TOOLS) {
      const args = compileArgs(tool, { output: "/o/x", entry: "/e/x.ts" });
      assertEquals(args[0], "compile");
      const permissions = args.filter((arg) =>
        /^-(A|-allow-|-deny-|R|W|E|N|S)/.test(arg)
      );
      assertEquals(permissions, ["--allow-net"], tool);
      assert(args.includes("--no-prompt"), tool);
      assert(args.includes("--unstable-net"), tool);
      assertEquals(args.slice(-3), ["--output", "/o/x", "/e/x.ts"], tool);
      assert(!args.includes("--target"), tool);
    }
  },
});

Deno.test({
  name:
    "compileArgs() embeds the server's worker module and caps its young generation",
  fn(): void {
    const args = compileArgs("server", { output: "/o/server", entry: "/e.ts" });
    const include = args.indexOf("--include");
    assert(include > 0);
    assertEquals(args[include + 1], join(ROOT, "lib", "_greeting_worker.ts"));
    assert(args.includes("--v8-flags=--max-semi-space-size=1"));
    for (const tool of ["client", "listener", "talker"] as const) {
      const other = compileArgs(tool, { output: "/o", entry: "/e.ts" });
      assert(!other.includes("--include"), tool);
      assert(!other.some((arg) => arg.startsWith("--v8-flags")), tool);
    }
  },
});

Deno.test({
  name: "compileArgs() passes a release target on",
  fn(): void {
    const args = compileArgs("talker", {
      output: "/o/talker.exe",
      entry: "/e.ts",
      target: "x86_64-pc-windows-msvc",
    });
    const at = args.indexOf("--target");
    assertEquals(args[at + 1], "x86_64-pc-windows-msvc");
  },
});

Deno.test({
  name: "parseArgs() reads repeated --target, --all and --runtimes",
  fn(): void {
    assertEquals(parseArgs([]), {});
    assertEquals(parseArgs(["--out-dir", "b"]), { outDir: "b" });
    assertEquals(
      parseArgs([
        "--target",
        "aarch64-apple-darwin",
        "--target=x86_64-pc-windows-msvc",
      ]),
      { targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"] },
    );
    assertEquals(parseArgs(["--all", "--runtimes", "rt"]), {
      targets: [...TARGETS],
      runtimesDir: "rt",
    });
    assertEquals(parseArgs(["-h"]), "help");
    assertMatch(
      parseArgs(["--target", "x86_64-pc-windows-gnu"]) as string,
      /^unknown target "x86_64-pc-windows-gnu"; one of: x86_64-unknown-linux-gnu, /,
    );
    assertEquals(parseArgs(["--target"]), 'option "--target" needs a target');
    assertEquals(
      parseArgs(["--all", "--target", "aarch64-apple-darwin"]),
      "give --all or --target, not both",
    );
    assertMatch(parseArgs(["--runtimes", "x"]) as string, /release builds/);
    assertEquals(parseArgs(["x"]), 'unknown argument "x"');
  },
});

Deno.test({
  name: "parseArgs() says that an option's value is empty",
  fn(): void {
    for (const args of [["--out-dir", ""], ["--out-dir="]]) {
      assertEquals(
        parseArgs(args),
        'option "--out-dir" was given an empty directory name ("")',
        args.join(" "),
      );
    }
    assertEquals(
      parseArgs(["--all", "--runtimes", ""]),
      'option "--runtimes" was given an empty directory name ("")',
    );
    assertEquals(
      parseArgs(["--target", ""]),
      'option "--target" was given an empty target name ("")',
    );
    assertEquals(
      parseArgs(["--out-dir"]),
      'option "--out-dir" needs a directory',
    );
    assertEquals(parseArgs(["--", "--out-dir", ""]), {});
  },
});

Deno.test({
  name: "executablePlatform() tells the platforms' executables apart",
  fn(): void {
    for (const target of TARGETS) {
      assertEquals(executablePlatform(fakeRuntime(target)), target);
    }
    assertEquals(executablePlatform(fakeRuntime("elf-other")), "other");
    assertEquals(
      executablePlatform(new TextEncoder().encode("#!/bin/sh")),
      undefined,
    );
    assertEquals(executablePlatform(new Uint8Array(0)), undefined);
  },
});

Deno.test({
  name: "crc32() is the IEEE CRC-32 zip uses",
  fn(): void {
    assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    assertEquals(crc32(new Uint8Array(0)), 0);
  },
});

// --- this machine's build ----------------------------------------------------

Deno.test({
  name: "compileTools() replaces the four tools only once all were built",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const deno = await fakeDeno(tmp.dir, "ok");
    const result = await compile({
      outDir: out,
      deno: deno.path,
      denortBin: "",
    });
    assertEquals(result.err, []);
    assertEquals(result.code, 0);
    assertEquals(result.out.length, 4);
    for (const [i, tool] of TOOLS.entries()) {
      assertMatch(
        result.out[i]!,
        new RegExp(`^compile: wrote .*/out/${tool}$`),
      );
      assertEquals(
        await Deno.readTextFile(join(out, tool)),
        `new executable of ${join(ROOT, "cmd", `${tool}.ts`)}`,
      );
    }
    assertEquals(await list(out), [...TOOLS].sort(), "no temporary files left");
    const runs = await deno.runs();
    assertEquals(runs.length, 4);
    for (const [i, tool] of TOOLS.entries()) {
      const [env, ...args] = runs[i]!;
      assertEquals(env, "DENORT_BIN=unset");
      const output = args[args.indexOf("--output") + 1]!;
      assertEquals(
        args,
        compileArgs(tool, { output, entry: join(ROOT, "cmd", `${tool}.ts`) }),
      );
      assert(!output.startsWith(join(out, tool)), "built beside, not in place");
    }
  },
});

Deno.test({
  name:
    "compileTools() leaves the old tools untouched when one deno compile fails",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const deno = await fakeDeno(tmp.dir, { fail: "listener" });
    const result = await compile({
      outDir: out,
      deno: deno.path,
      denortBin: "",
    });
    assertEquals(result.code, 1);
    assertEquals(result.out, [], "nothing reported as written");
    assertEquals(result.err, [
      "compile: deno compile failed for cmd/listener.ts: error: TS2304 [ERROR]: Cannot find name 'oops'.",
    ]);
    await assertOldBuild(out);
    assertEquals((await deno.runs()).length, 3, "stopped at the failure");
  },
});

Deno.test({
  name:
    "compileTools() says in one line that the runtime could not be downloaded",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const deno = await fakeDeno(tmp.dir, "offline");
    const result = await compile({
      outDir: out,
      deno: deno.path,
      denortBin: "",
    });
    assertEquals(result.code, 1);
    assertEquals(result.out, []);
    assertEquals(result.err.length, 1);
    assertMatch(
      result.err[0]!,
      new RegExp(
        `^compile: no runtime for ${Deno.build.target}: deno compile could not download denort-${Deno.build.target}\\.zip; .*Deno ${Deno.version.deno}.*DENORT_BIN=/path/to/denort$`,
      ),
    );
    await assertOldBuild(out);
  },
});

/** Each fake DENORT_BIN, how to make it, and the one line it must get. */
const BAD_RUNTIMES: {
  name: string;
  make(path: string): Promise<void>;
  message: RegExp;
}[] = [
  {
    name: "a zip (not unzipped)",
    async make(path): Promise<void> {
      await Deno.writeFile(
        path,
        new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0]),
      );
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is a zip: unzip it first, then point DENORT_BIN at the denort inside$/,
  },
  {
    name: "a copy of /bin/ls",
    async make(path): Promise<void> {
      await Deno.copyFile("/bin/ls", path);
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is not a Deno runtime \(denort\); download denort-[a-z0-9_-]+\.zip of Deno [0-9.]+ \(https:\/\/github\.com\/denoland\/deno\/releases\/tag\/v[0-9.]+\), unzip it and point DENORT_BIN at the denort inside$/,
  },
  {
    name: "a missing file",
    async make(): Promise<void> {},
    message:
      /^compile: DENORT_BIN ".*runtime" does not exist; download denort-.*\.zip of Deno /,
  },
  {
    name: "an empty file",
    async make(path): Promise<void> {
      await Deno.writeFile(path, new Uint8Array(0));
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is an empty file; download denort-/,
  },
  {
    name: "a shell script",
    async make(path): Promise<void> {
      await Deno.writeTextFile(path, "#!/bin/sh\necho d3n0l4nd\n");
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is not an executable, so not a Deno runtime; download /,
  },
  {
    name: "the deno CLI",
    async make(path): Promise<void> {
      await Deno.symlink(Deno.execPath(), path);
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is the deno CLI, not its runtime denort; download /,
  },
  {
    name: "a runtime for another platform",
    async make(path): Promise<void> {
      await Deno.writeFile(
        path,
        fakeRuntime(
          HOST === "aarch64-apple-darwin"
            ? "x86_64-apple-darwin"
            : "aarch64-apple-darwin",
        ),
      );
    },
    message:
      /^compile: DENORT_BIN ".*runtime" is a runtime for [a-z0-9_-]+-apple-darwin, not /,
  },
];

for (const bad of BAD_RUNTIMES) {
  Deno.test({
    name:
      `compileTools() refuses ${bad.name} as DENORT_BIN and keeps the old tools`,
    ignore: !PERMITTED,
    async fn(): Promise<void> {
      await using tmp = await scratch();
      const out = await oldBuild(tmp.dir);
      const deno = await fakeDeno(tmp.dir, "ok");
      const runtime = join(tmp.dir, "runtime");
      await bad.make(runtime);
      const result = await compile({
        outDir: out,
        deno: deno.path,
        denortBin: runtime,
      });
      assertEquals(result.code, 1);
      assertEquals(result.out, []);
      assertEquals(result.err.length, 1, result.err.join("\n"));
      assertMatch(result.err[0]!, bad.message);
      assertEquals(await deno.runs(), [], "deno compile never ran");
      await assertOldBuild(out);
    },
  });
}

Deno.test({
  name: "compileTools() hands a runtime that checks out to deno as DENORT_BIN",
  ignore: !PERMITTED || HOST === undefined,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtime = join(tmp.dir, "denort");
    await Deno.writeFile(runtime, fakeRuntime(HOST!));
    const result = await compile({
      outDir: out,
      deno: deno.path,
      denortBin: runtime,
    });
    assertEquals(result.err, []);
    assertEquals(result.code, 0);
    for (const [env] of await deno.runs()) {
      assertEquals(env, `DENORT_BIN=${runtime}`);
    }
  },
});

Deno.test({
  name: "compile script: a bad DENORT_BIN is one line and exit 1, no backtrace",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const runtime = join(tmp.dir, "denort.zip");
    await Deno.writeFile(runtime, new Uint8Array([0x50, 0x4b, 0x03, 0x04]));
    const result = await runScript(["--out-dir", out], { DENORT_BIN: runtime });
    assertEquals(result.code, 1);
    assertEquals(result.stdout, "");
    assertEquals(
      result.stderr,
      `compile: DENORT_BIN "${runtime}" is a zip: unzip it first, then point DENORT_BIN at the denort inside\n`,
    );
    await assertOldBuild(out);
  },
});

Deno.test({
  name: "compile script: a bad command line is a usage error, exit 2",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const result = await runScript(["--target", "sparc"], {});
    assertEquals(result.code, 2);
    assertEquals(result.stdout, "");
    assertMatch(result.stderr, /^compile: unknown target "sparc"; one of: /);
    assertStringIncludes(result.stderr, "\nusage: deno task compile ");
  },
});

Deno.test({
  name:
    "compileTools() refuses an --out-dir that cannot be a directory before building",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const deno = await fakeDeno(tmp.dir, "ok");
    const file = join(tmp.dir, "afile");
    await Deno.writeTextFile(file, "a file");
    for (
      const [outDir, message] of [
        [file, `compile: --out-dir ${file}: not a directory`],
        [
          join(file, "x", "y"),
          `compile: --out-dir ${
            join(file, "x", "y")
          }: ${file} is not a directory`,
        ],
      ]
    ) {
      for (const targets of [undefined, [HOST ?? TARGETS[0]]]) {
        const result = await compile({
          outDir,
          targets,
          runtimesDir: join(tmp.dir, "runtimes"),
          deno: deno.path,
          denortBin: "",
        });
        assertEquals(result.code, 1);
        assertEquals(result.out, []);
        assertEquals(result.err, [message]);
      }
    }
    assertEquals(await deno.runs(), [], "deno compile never ran");
    assertEquals(await Deno.readTextFile(file), "a file");
    assertEquals(await list(tmp.dir), ["afile", "fake-deno"]);
  },
});

Deno.test({
  name:
    "compileTools() removes every directory it created for a build that failed, and only those",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const runtimes = await runtimesFor(tmp.dir, ["aarch64-unknown-linux-gnu"]);
    const behaviours = ["offline", { fail: "talker" }] as const;
    for (const behaviour of behaviours) {
      const deno = await fakeDeno(tmp.dir, behaviour);
      for (
        const targets of [undefined, ["aarch64-unknown-linux-gnu" as const]]
      ) {
        const outDir = join(tmp.dir, "newdir", "sub", "out");
        const result = await compile({
          outDir,
          targets,
          runtimesDir: targets === undefined ? undefined : runtimes,
          deno: deno.path,
          denortBin: "",
        });
        assertEquals(result.code, 1, JSON.stringify(behaviour));
        assertEquals(result.out, []);
        assertEquals(
          await list(tmp.dir),
          ["deno.log", "fake-deno", "runtimes"],
          `${JSON.stringify(behaviour)} ${targets ?? "host"}: nothing left`,
        );
      }
    }
    // Below an existing directory, only what was missing goes.
    await Deno.mkdir(join(tmp.dir, "kept"));
    const deno = await fakeDeno(tmp.dir, "offline");
    const result = await compile({
      outDir: join(tmp.dir, "kept", "a", "b"),
      deno: deno.path,
      denortBin: "",
    });
    assertEquals(result.code, 1);
    assertEquals(await list(join(tmp.dir, "kept")), []);
  },
});

Deno.test({
  name: "compileTools() creates a nested --out-dir once the build succeeded",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const deno = await fakeDeno(tmp.dir, "ok");
    const outDir = join(tmp.dir, "newdir", "sub");
    const result = await compile({ outDir, deno: deno.path, denortBin: "" });
    assertEquals(result.err, []);
    assertEquals(result.code, 0);
    assertEquals(await list(outDir), [...TOOLS].sort());
  },
});

Deno.test({
  name:
    "compile script: an --out-dir that cannot be a directory is one line and exit 1, no stack trace",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const file = join(tmp.dir, "afile");
    await Deno.writeTextFile(file, "a file");
    const cases: [string, RegExp][] = [
      [file, new RegExp(`^compile: --out-dir ${file}: not a directory\n$`)],
      [
        join(file, "x"),
        new RegExp(
          `^compile: --out-dir ${file}/x: ${file} is not a directory\n$`,
        ),
      ],
    ];
    if (await exists("/proc/self")) {
      // Deno wants --allow-all for /proc, which the task does not grant.
      cases.push([
        "/proc/nope/x",
        /^compile: --out-dir \/proc\/nope\/x: .+\n$/,
      ]);
    }
    for (const [outDir, message] of cases) {
      const result = await runScript(["--out-dir", outDir], {});
      assertEquals(result.code, 1, result.stderr);
      assertEquals(result.stdout, "");
      assertMatch(result.stderr, message);
      assertNotMatch(result.stderr, /Uncaught|^\s+at /m);
    }
    assertEquals(await list(tmp.dir), ["afile"]);
  },
});

Deno.test({
  name:
    "compile script: a DENORT_DIR without this machine's runtime is one line naming it, exit 1",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const target = Deno.build.target;
    const missing = join(tmp.dir, "nonexistent");
    const empty = join(tmp.dir, "empty");
    await Deno.mkdir(empty);
    const other = join(tmp.dir, "other");
    const otherTarget = target === "aarch64-apple-darwin"
      ? "x86_64-apple-darwin"
      : "aarch64-apple-darwin";
    await Deno.mkdir(join(other, `denort-${target}`), { recursive: true });
    await Deno.writeFile(
      join(other, `denort-${target}`, "denort"),
      fakeRuntime(otherTarget),
    );
    const cases: [string, string][] = [
      [
        missing,
        `compile: DENORT_DIR "${missing}" does not exist; download denort-${target}.zip of Deno ${Deno.version.deno} (https://github.com/denoland/deno/releases/tag/v${Deno.version.deno}) and unzip it into "${missing}/denort-${target}/"`,
      ],
      [
        empty,
        `compile: the runtime for ${target} in DENORT_DIR ("${empty}/denort-${target}/denort") does not exist; download denort-${target}.zip of Deno ${Deno.version.deno} (https://github.com/denoland/deno/releases/tag/v${Deno.version.deno}), unzip it into "${empty}/denort-${target}/"`,
      ],
      [
        other,
        `compile: the runtime for ${target} in DENORT_DIR ("${other}/denort-${target}/denort") is a runtime for ${otherTarget}, not ${target}; download denort-${target}.zip of Deno ${Deno.version.deno} (https://github.com/denoland/deno/releases/tag/v${Deno.version.deno}), unzip it into "${other}/denort-${target}/"`,
      ],
    ];
    for (const [dir, message] of cases) {
      const result = await runScript(["--out-dir", out], { DENORT_DIR: dir });
      assertEquals(result.code, 1, result.stderr);
      assertEquals(result.stdout, "");
      assertEquals(result.stderr, `${message}\n`);
      await assertOldBuild(out);
    }
    assert(!(await exists(missing)));
  },
});

Deno.test({
  name: "compileTools() refuses a missing --runtimes directory in one line",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtimes = join(tmp.dir, "runtimes");
    const result = await compile({
      outDir: join(tmp.dir, "dist"),
      targets: ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"],
      runtimesDir: runtimes,
      deno: deno.path,
    });
    assertEquals(result.code, 1);
    assertEquals(result.err.length, 1, result.err.join("\n"));
    assertMatch(
      result.err[0]!,
      new RegExp(
        `^compile: --runtimes "${runtimes}" does not exist; download each target's denort-TARGET\\.zip of Deno .* and unzip it into "${runtimes}/denort-TARGET/"$`,
      ),
    );
    assertEquals(await deno.runs(), []);
    assertEquals(await list(tmp.dir), ["fake-deno"]);
  },
});

Deno.test({
  name:
    "compileTools() builds this machine's tools with the runtime in a directory of runtimes",
  ignore: !PERMITTED || HOST === undefined,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const out = await oldBuild(tmp.dir);
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtimes = await runtimesFor(tmp.dir, [HOST!]);
    const result = await compile({
      outDir: out,
      runtimesDir: runtimes,
      deno: deno.path,
      denortBin: "",
    });
    assertEquals(result.err, []);
    assertEquals(result.code, 0);
    assertEquals(await list(out), [...TOOLS].sort());
    const runs = await deno.runs();
    assertEquals(runs.length, 4);
    for (const [env, ...args] of runs) {
      assertEquals(
        env,
        `DENORT_BIN=${join(runtimes, `denort-${HOST}`, "denort")}`,
      );
      assert(!args.includes("--target"));
    }
  },
});

// --- release builds ------------------------------------------------------------

/** A runtimes directory as `--runtimes` wants it, for `targets`. */
async function runtimesFor(
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
async function run(
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
function runScript(
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
function has(program: string): boolean {
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

const ARCHIVERS = PERMITTED && has("tar") && has("unzip") && has("sha256sum");
if (PERMITTED && !ARCHIVERS) {
  note(
    "compile_test: release archives not unpacked: tar, unzip or sha256sum missing",
  );
}

Deno.test({
  name:
    "compileTools() --all writes a directory and an archive per target and one SHA256SUMS",
  ignore: !ARCHIVERS,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const dist = join(tmp.dir, "dist");
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtimes = await runtimesFor(tmp.dir, TARGETS);
    const result = await compile({
      outDir: dist,
      targets: [...TARGETS],
      runtimesDir: runtimes,
      deno: deno.path,
    });
    assertEquals(result.err, []);
    assertEquals(result.code, 0);
    const names = TARGETS.map((t) => `beejnet-${VERSION}-${t}`);
    assertEquals(
      await list(dist),
      [...names, ...TARGETS.map((t) => archiveName(VERSION, t)), "SHA256SUMS"]
        .sort(),
    );
    assertEquals(result.out.at(-1), `compile: wrote ${dist}/SHA256SUMS`);
    for (const [i, target] of TARGETS.entries()) {
      const exe = target.includes("windows") ? ".exe" : "";
      assertEquals(
        await list(join(dist, names[i]!)),
        TOOLS.map((tool) => `${tool}${exe}`).sort(),
      );
      const archive = join(dist, archiveName(VERSION, target));
      if (exe === "") {
        const listing = await run("tar", ["-tvzf", archive]);
        assertEquals(listing.code, 0, listing.stderr);
        for (const tool of TOOLS) {
          assertMatch(
            listing.stdout,
            new RegExp(`^-rwxr-xr-x .* ${names[i]}/${tool}$`, "m"),
          );
        }
      } else {
        const test = await run("unzip", ["-t", archive]);
        assertEquals(test.code, 0, test.stdout + test.stderr);
      }
      // Unpacked, each executable is what deno compile wrote.
      const unpacked = join(tmp.dir, `unpacked-${target}`);
      await Deno.mkdir(unpacked);
      const unpack = exe === ""
        ? await run("tar", ["-xzf", archive, "-C", unpacked])
        : await run("unzip", ["-q", archive, "-d", unpacked]);
      assertEquals(unpack.code, 0, unpack.stderr);
      for (const tool of TOOLS) {
        assertEquals(
          await Deno.readTextFile(join(unpacked, names[i]!, `${tool}${exe}`)),
          await Deno.readTextFile(join(dist, names[i]!, `${tool}${exe}`)),
        );
      }
    }
    const sums = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: dist });
    assertEquals(sums.code, 0, sums.stdout + sums.stderr);
    assertEquals(sums.stdout.trimEnd().split("\n").length, TARGETS.length);
    // Each target's runtime was the one given for it.
    const runs = await deno.runs();
    assertEquals(runs.length, 4 * TARGETS.length);
    for (const [env, ...args] of runs) {
      const target = args[args.indexOf("--target") + 1]!;
      assertMatch(env!, new RegExp(`^DENORT_BIN=.*/denort-${target}/denort`));
    }
  },
});

Deno.test({
  name:
    "compileTools() names every target whose runtime could not be had, and writes nothing",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const dist = join(tmp.dir, "dist");
    const deno = await fakeDeno(tmp.dir, "offline");
    const targets: Target[] = [
      "aarch64-apple-darwin",
      "x86_64-pc-windows-msvc",
    ];
    const result = await compile({ outDir: dist, targets, deno: deno.path });
    assertEquals(result.code, 1);
    assertEquals(result.out, []);
    assertEquals(result.err.length, 2);
    for (const [i, target] of targets.entries()) {
      assertMatch(
        result.err[i]!,
        new RegExp(
          `^compile: no runtime for ${target}: deno compile could not download denort-${target}\\.zip; .*--runtimes DIR`,
        ),
      );
    }
    assert(!(await exists(dist)), "no dist/ left behind");
  },
});

Deno.test({
  name:
    "compileTools() refuses a zipped or missing runtime in --runtimes before building",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const dist = join(tmp.dir, "dist");
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtimes = await runtimesFor(tmp.dir, ["x86_64-unknown-linux-gnu"]);
    await Deno.writeFile(
      join(runtimes, "denort-aarch64-apple-darwin.zip"),
      new Uint8Array([0x50, 0x4b, 0x03, 0x04]),
    );
    const result = await compile({
      outDir: dist,
      targets: [
        "x86_64-unknown-linux-gnu",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
      ],
      runtimesDir: runtimes,
      deno: deno.path,
    });
    assertEquals(result.code, 1);
    assertEquals(result.out, []);
    assertEquals(result.err.length, 2, result.err.join("\n"));
    assertMatch(
      result.err[0]!,
      /^compile: the runtime for aarch64-apple-darwin is still zipped: unzip ".*denort-aarch64-apple-darwin\.zip" into ".*\/denort-aarch64-apple-darwin\/" first$/,
    );
    assertMatch(
      result.err[1]!,
      /^compile: the runtime for x86_64-pc-windows-msvc \(".*denort-x86_64-pc-windows-msvc\/denort\.exe"\) does not exist; download denort-x86_64-pc-windows-msvc\.zip of Deno .*, unzip it into ".*\/denort-x86_64-pc-windows-msvc\/"$/,
    );
    assertEquals(await deno.runs(), []);
    assert(!(await exists(dist)));
  },
});

Deno.test({
  name:
    "compileTools() keeps an earlier release when a later build fails, and replaces it when one succeeds",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const dist = join(tmp.dir, "dist");
    const target: Target = "aarch64-unknown-linux-gnu";
    const runtimes = await runtimesFor(tmp.dir, [target]);
    const name = `beejnet-${VERSION}-${target}`;
    await Deno.mkdir(join(dist, name), { recursive: true });
    await Deno.writeTextFile(join(dist, name, "server"), "old");
    await Deno.writeTextFile(join(dist, `${name}.tar.gz`), "old");
    await Deno.writeTextFile(join(dist, "SHA256SUMS"), "old");
    const before = await list(dist);

    const failing = await fakeDeno(tmp.dir, { fail: "talker" });
    const failed = await compile({
      outDir: dist,
      targets: [target],
      runtimesDir: runtimes,
      deno: failing.path,
    });
    assertEquals(failed.code, 1);
    assertEquals(failed.out, []);
    assertEquals(await list(dist), before);
    assertEquals(await list(join(dist, name)), ["server"]);
    for (const file of [`${name}/server`, `${name}.tar.gz`, "SHA256SUMS"]) {
      assertEquals(await Deno.readTextFile(join(dist, file)), "old", file);
    }

    await Deno.remove(join(tmp.dir, "deno.log"));
    const working = await fakeDeno(tmp.dir, "ok");
    const built = await compile({
      outDir: dist,
      targets: [target],
      runtimesDir: runtimes,
      deno: working.path,
    });
    assertEquals(built.err, []);
    assertEquals(built.code, 0);
    assertEquals(await list(join(dist, name)), [...TOOLS].sort());
    assertNotMatch(await Deno.readTextFile(join(dist, "SHA256SUMS")), /old/);
    assertEquals(await list(dist), before, "no temporary directory left");
  },
});

Deno.test({
  name: "compileTools() refuses one DENORT_BIN for several targets",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    await using tmp = await scratch();
    const deno = await fakeDeno(tmp.dir, "ok");
    const runtime = join(tmp.dir, "denort");
    await Deno.writeFile(runtime, fakeRuntime("x86_64-unknown-linux-gnu"));
    const result = await compile({
      outDir: join(tmp.dir, "dist"),
      targets: ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"],
      denortBin: runtime,
      deno: deno.path,
    });
    assertEquals(result.code, 1);
    assertEquals(result.err.length, 1);
    assertMatch(
      result.err[0]!,
      /^compile: DENORT_BIN is one runtime for one target; for 2 targets use --runtimes DIR/,
    );
    assertEquals(await deno.runs(), []);
  },
});

Deno.test({
  name: "readVersion() is deno.json's version",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
    assertEquals(await readVersion(), config.version);
    assertEquals(
      archiveName(config.version, "x86_64-pc-windows-msvc"),
      `beejnet-${config.version}-x86_64-pc-windows-msvc.zip`,
    );
  },
});

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
