/**
 * Tests of `deno task compile --all` and `--target` (scripts/compile.ts):
 * release builds for each target, with a fake `deno` and fake runtimes
 * (tests/_compile.ts), their archives and SHA256SUMS.
 *
 * @module
 */

import { assert, assertEquals, assertMatch, assertNotMatch } from "@std/assert";
import { join } from "node:path";
import {
  archiveName,
  type Target,
  TARGETS,
  TOOLS,
} from "../scripts/compile.ts";
import {
  compile,
  exists,
  fakeDeno,
  fakeRuntime,
  has,
  list,
  note,
  PERMITTED,
  run,
  runtimesFor,
  scratch,
  VERSION,
} from "./_compile.ts";

// --- release builds ------------------------------------------------------------

const ARCHIVERS = PERMITTED && has("tar") && has("unzip") && has("sha256sum");
if (PERMITTED && !ARCHIVERS) {
  note(
    "compile tests: release archives not unpacked: tar, unzip or sha256sum missing",
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
