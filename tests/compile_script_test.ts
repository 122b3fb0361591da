/**
 * Tests of `deno task compile` (scripts/compile.ts), its pure parts: the
 * arguments it gives `deno compile`, its own command line, how it tells the
 * platforms' executables apart, its CRC-32, and the version it reads.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "node:path";
import {
  archiveName,
  compileArgs,
  parseArgs,
  readVersion,
  TARGETS,
  TOOLS,
} from "../scripts/compile.ts";
import { crc32 } from "../scripts/_archive.ts";
import { executablePlatform } from "../scripts/_runtime.ts";
import { fakeRuntime, PERMITTED, ROOT } from "./_compile.ts";

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
