// The library's constants are the library's; Beej's ports, the client's
// read limit and the version are the tools' (cmd/_defaults.ts,
// cmd/_version.ts), and the library's module graph holds neither them nor
// deno.json.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
} from "../cmd/_defaults.ts";
import { VERSION } from "../cmd/_version.ts";
import * as constants from "../lib/constants.ts";
import { CAN_SPAWN, deadline, ignoreUnless } from "./_util.ts";

Deno.test("cmd/_defaults.ts has Beej's ports and the client's 1 MiB", () => {
  assertStrictEquals(DEFAULT_TCP_PORT, 3490);
  assertStrictEquals(DEFAULT_UDP_PORT, 4950);
  assertStrictEquals(DEFAULT_MAX_BYTES, 1_048_576);
});

Deno.test("cmd/_version.ts has deno.json's version", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assertStrictEquals(VERSION, config.version);
});

Deno.test("lib/constants.ts and mod.ts export none of the tools' defaults", async () => {
  const root: Record<string, unknown> = await import("../mod.ts");
  for (
    const name of [
      "DEFAULT_TCP_PORT",
      "DEFAULT_UDP_PORT",
      "DEFAULT_MAX_BYTES",
      "VERSION",
    ]
  ) {
    assertStrictEquals(name in constants, false, `lib/constants.ts ${name}`);
    assertStrictEquals(name in root, false, `mod.ts ${name}`);
  }
  assertStrictEquals(root.GREETING, "Hello, world!");
});

Deno.test({
  name: "the library's module graph has no deno.json and no module of cmd/",
  ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
  async fn(): Promise<void> {
    const entry = new URL("../mod.ts", import.meta.url).pathname;
    const output = await deadline(
      new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", entry],
        stdin: "null",
        stderr: "inherit",
      }).output(),
      "deno info mod.ts",
    );
    assert(output.success, "deno info mod.ts failed");
    const graph: { modules: { specifier: string }[] } = JSON.parse(
      new TextDecoder().decode(output.stdout),
    );
    const specifiers = graph.modules.map((m) => m.specifier);
    assert(specifiers.some((s) => s.endsWith("/lib/constants.ts")));
    assertEquals(
      specifiers.filter((s) => s.endsWith("/deno.json") || s.includes("/cmd/")),
      [],
    );
  },
});
