/**
 * Tests of `deno task compile` (scripts/compile.ts) building this machine's
 * tools, with stand-ins (tests/_compile.ts): a fake `deno` (a shell script
 * that records its arguments and writes, or fails to write, each executable)
 * and fake runtime files (a zip, a copy of `/bin/ls`, an empty file, headers
 * of each platform's executables with the runtime's marker): the old tools
 * kept until all four were built, DENORT_BIN, DENORT_DIR and --runtimes
 * checked before building, --out-dir made and cleaned up.
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
import { compileArgs, entryOf, TARGETS, TOOLS } from "../scripts/compile.ts";
import {
  assertOldBuild,
  compile,
  exists,
  fakeDeno,
  fakeRuntime,
  HOST,
  list,
  oldBuild,
  PERMITTED,
  runScript,
  runtimesFor,
  scratch,
} from "./_compile.ts";

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
        `new executable of ${entryOf(tool)}`,
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
        compileArgs(tool, { output, entry: entryOf(tool) }),
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
