/**
 * `bundle/client.js` and `bundle/talker.js` (scripts/bundle.ts): each is what
 * `deno task bundle` writes for the source as it is, the tasks and the
 * compiled tools run them, and the tests of the spawned tools pass with the
 * bundles in place of the source.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  BUNDLED,
  bundleHeader,
  bundlePath,
  bundleText,
} from "../scripts/bundle.ts";
import { entryOf } from "../scripts/compile.ts";
import { parseSettings } from "../bench/_settings.ts";
import {
  CAN_SPAWN,
  deadline,
  entry,
  FROM_BUNDLE,
  NEEDS_SPAWN,
} from "./_util.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The test files whose tools are spawned, run again against the bundles. */
const SPAWNING_TESTS = [
  "tests/client_test.ts",
  "tests/client_names_test.ts",
  "tests/talker_test.ts",
  "tests/messages_test.ts",
  "tests/exit_codes_test.ts",
  "tests/stdout_test.ts",
  "tests/trace_test.ts",
];

for (const tool of BUNDLED) {
  Deno.test({
    name: `${bundlePath(tool)} is what deno task bundle writes for the source`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      const written = await Deno.readTextFile(`${ROOT}${bundlePath(tool)}`);
      assert(written.startsWith(bundleHeader(tool)), "the header is there");
      const fresh = await deadline(
        bundleText(tool),
        `deno bundle of cmd/${tool}.ts`,
        120_000,
      );
      assert(
        written === fresh,
        `${bundlePath(tool)} is out of date: run deno task bundle`,
      );
    },
  });
}

for (const tool of BUNDLED) {
  Deno.test({
    name: `${
      bundlePath(tool)
    } is one module: it loads nothing but node:dns/promises`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      const output = await deadline(
        new Deno.Command(Deno.execPath(), {
          args: ["info", "--json", bundlePath(tool)],
          cwd: ROOT,
          env: { NO_COLOR: "1" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output(),
        `deno info ${bundlePath(tool)}`,
      );
      assert(output.success, new TextDecoder().decode(output.stderr));
      const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
        modules: { specifier: string }[];
      };
      assertEquals(graph.modules.map((m) => m.specifier).sort(), [
        new URL(`../${bundlePath(tool)}`, import.meta.url).href,
        "node:dns/promises",
      ]);
    },
  });
}

Deno.test("deno task client and deno task talker run the bundles", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    tasks: Record<string, string>;
    publish: { include: string[] };
  };
  for (const tool of BUNDLED) {
    assertEquals(
      config.tasks[tool],
      `deno run --allow-net ${bundlePath(tool)}`,
    );
  }
  assertEquals(config.tasks.server?.endsWith(" cmd/server.ts"), true);
  assertEquals(config.tasks.listener, "deno run --allow-net cmd/listener.ts");
});

Deno.test("deno task bench measures what the tasks run: the client's bundle, the server's source", () => {
  const s = parseSettings([], ROOT.replace(/\/$/, ""));
  assertEquals(s.tools.client, "bundle/client.js");
  assertEquals(s.flags.client, ["--allow-net"]);
  assertEquals(s.tools.server, "cmd/server.ts");
  assert(s.flags.server.includes("--allow-read=lib/"), String(s.flags.server));
  assertEquals(s.tools.listener, "cmd/listener.ts");
});

Deno.test("deno task compile builds client and talker from their bundles", () => {
  assertEquals(entryOf("client"), `${ROOT}bundle/client.js`);
  assertEquals(entryOf("talker"), `${ROOT}bundle/talker.js`);
  assertEquals(entryOf("server"), `${ROOT}cmd/server.ts`);
  assertEquals(entryOf("listener"), `${ROOT}cmd/listener.ts`);
});

Deno.test("BEEJNET_BUNDLE=1 points the tests' client and talker at bundle/", () => {
  if (FROM_BUNDLE) {
    assertEquals(entry("client"), `${ROOT}bundle/client.js`);
    assertEquals(entry("talker"), `${ROOT}bundle/talker.js`);
  } else {
    assertEquals(entry("client"), `${ROOT}cmd/client.ts`);
    assertEquals(entry("talker"), `${ROOT}cmd/talker.ts`);
  }
  assertEquals(entry("server"), `${ROOT}cmd/server.ts`);
});

Deno.test({
  name: "the tests of the spawned client and talker pass against the bundles",
  // Not again inside itself: the nested run sets BEEJNET_BUNDLE.
  ignore: NEEDS_SPAWN() || FROM_BUNDLE,
  async fn(): Promise<void> {
    assert(CAN_SPAWN);
    const env = Deno.env.toObject();
    const output = await deadline(
      new Deno.Command(Deno.execPath(), {
        args: [
          "test",
          "--quiet",
          "--allow-net",
          "--allow-run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          ...SPAWNING_TESTS,
        ],
        cwd: ROOT,
        env: { ...env, BEEJNET_BUNDLE: "1", NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output(),
      "the spawning tests against bundle/",
      300_000,
    );
    const text = new TextDecoder().decode(output.stdout);
    const failed = text.split("\n").filter((line) =>
      / \.\.\. .*FAILED/.test(line)
    );
    assert(
      output.success,
      `against bundle/: ${failed.join("; ") || text.slice(-2000)}`,
    );
    assert(/\| (\d+) passed \| 0 failed/.test(text), text.slice(-500));
  },
});
