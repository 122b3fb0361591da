/**
 * Tests of the package as a user gets it: every `deno.json` export imports
 * as a module without running anything, and each tool installed with
 * `deno install -g` (into a scratch `--root`) works as a command against a
 * real socket: once from this checkout, once from JSR
 * (`jsr:@beejnet/beejnet/TOOL`) as the README says. JSR is a registry on
 * loopback (`_registry.ts`) serving the package as `deno publish` would
 * upload it, with a cache of its own (`DENO_DIR`), so nothing comes from
 * the checkout.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  LoopbackRegistry,
  packageFromCheckout,
  publishedPaths,
  unfurlSpecifier,
} from "./_registry.ts";
import { TestProcess } from "./_util.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEADLINE_MS = 20_000;
const TOOLS = ["server", "client", "listener", "talker"] as const;

const PERMITTED = (["run", "read", "write", "env", "net"] as const).every((
  name,
) => Deno.permissions.querySync({ name }).state === "granted");
if (!PERMITTED) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      "install_test: not run: needs --allow-run --allow-read --allow-write --allow-env --allow-net\n",
    ),
  );
}

const CONFIG = PERMITTED
  ? JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")))
  : { exports: {}, version: "", name: "" };
const EXPORTS: Record<string, string> = CONFIG.exports;

/** Runs a program to its end (killed at the deadline); outputs as text. */
async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(program, {
    args,
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Imports `module` in a fresh deno with the tools' permissions and prints
 * its export names. Anything the module ran at import would show: output of
 * its own, a socket that keeps the process alive (until the deadline), an
 * exit code.
 */
function importOnly(
  module: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const probe = `const m = await import(${JSON.stringify(module)});
console.log(Object.keys(m).sort().join(" "));`;
  return run(Deno.execPath(), [
    "eval",
    "--allow-net",
    "--unstable-net",
    "--no-prompt",
    probe,
    "host",
    "message",
  ]);
}

Deno.test({
  name: "deno.json exports the library and each tool's entry",
  ignore: !PERMITTED,
  fn(): void {
    assertEquals(EXPORTS, {
      ".": "./mod.ts",
      "./text": "./lib/text/mod.ts",
      "./server": "./cmd/server.ts",
      "./client": "./cmd/client.ts",
      "./listener": "./cmd/listener.ts",
      "./talker": "./cmd/talker.ts",
    });
  },
});

Deno.test({
  name: "every export, imported as a module, runs nothing",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    for (const [path, file] of Object.entries(EXPORTS)) {
      const url = new URL(file, `file://${ROOT}/`).href;
      const result = await importOnly(url);
      assertEquals(result.stderr, "", `${path}: stderr`);
      assertEquals(result.code, 0, `${path}: exit code`);
      const names = result.stdout.trimEnd().split(" ");
      assert(names.length > 0 && names[0] !== "", `${path}: no exports`);
      const tool = path !== "." && path !== "./text";
      if (tool) assert(names.includes("main"), `${path}: no main`);
    }
  },
});

Deno.test({
  name: "the import probe sees a module that runs at import",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    // The check above would catch a tool entry that ran its main at
    // import: shown here with two that do (one prints, one listens).
    const dir = await Deno.makeTempDir({ prefix: "beejnet_install_" });
    try {
      const prints = join(dir, "prints.ts");
      await Deno.writeTextFile(
        prints,
        `export function main(): number { return 0; }\nconsole.log("usage: talker hostname message");\n`,
      );
      const printed = await importOnly(new URL(`file://${prints}`).href);
      assertEquals(
        printed.stdout.split("\n")[0],
        "usage: talker hostname message",
      );
      const listens = join(dir, "listens.ts");
      await Deno.writeTextFile(
        listens,
        `export function main(): number { return 0; }\nconst l = Deno.listen({ hostname: "127.0.0.1", port: 0 });\nsetTimeout(() => l.close(), 300);\nawait l.accept().catch(() => {});\nconsole.error("served");\n`,
      );
      const listened = await importOnly(new URL(`file://${listens}`).href);
      assertEquals(listened.stderr, "served\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Each tool installed from the checkout into a scratch root. */
async function installAll(root: string): Promise<void> {
  for (const tool of TOOLS) {
    // As the README says: the network, the UDP API, and the checkout's
    // deno.json for its import map (an installed command reads no other).
    const result = await run(Deno.execPath(), [
      "install",
      "-g",
      "-N",
      "--unstable-net",
      "--config",
      join(ROOT, "deno.json"),
      "-n",
      tool,
      "--root",
      root,
      `./cmd/${tool}.ts`,
    ]);
    assertEquals(result.code, 0, `install ${tool}: ${result.stderr}`);
  }
}

/** Run each installed tool in `root` against a real socket, on loopback. */
async function assertToolsWork(
  root: string,
  env: Record<string, string> = {},
): Promise<void> {
  const bin = (tool: string): string => join(root, "bin", tool);
  const options = { cwd: root, env };
  for (const tool of TOOLS) {
    const version = await run(bin(tool), ["-V"], options);
    assertEquals(version.code, 0, version.stderr);
    assertEquals(
      version.stdout,
      `${tool} (beejnet) ${CONFIG.version} (deno ${Deno.version.deno})\n`,
    );
  }

  {
    await using server = new TestProcess(
      bin("server"),
      ["--port", "0"],
      options,
    );
    const [, port] = await server.stderr.waitFor(
      /^server: listening on .*:(\d+)$/,
      "the server's listening line",
    );
    const client = await run(
      bin("client"),
      ["127.0.0.1", "-p", port!],
      options,
    );
    assertEquals(client.code, 0, client.stderr);
    assertEquals(
      client.stdout,
      "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
    );
    await server.stdout.waitFor(
      /^server: got connection from 127\.0\.0\.1$/,
      "the server's connection line",
    );
  }

  {
    await using listener = new TestProcess(
      bin("listener"),
      ["--port", "0"],
      options,
    );
    const [, port] = await listener.stderr.waitFor(
      /^listener: listening on .*:(\d+)$/,
      "the listener's listening line",
    );
    const talker = await run(bin("talker"), [
      "127.0.0.1",
      "hello",
      "-p",
      port!,
    ], options);
    assertEquals(talker.code, 0, talker.stderr);
    assertEquals(talker.stdout, "talker: sent 5 bytes to 127.0.0.1\n");
    assertEquals(await listener.exit(), 0, listener.stderr.text);
    assertMatch(
      listener.stdout.text,
      /^listener: got packet from 127\.0\.0\.1$/m,
    );
    assertMatch(listener.stdout.text, /^listener: packet contains "hello"$/m);
  }
}

Deno.test({
  name:
    "each tool installed from the checkout runs as a command against a real socket",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const root = await Deno.makeTempDir({ prefix: "beejnet_install_" });
    try {
      await installAll(root);
      await assertToolsWork(root);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "each tool installed from JSR (jsr:@beejnet/beejnet/TOOL) runs as a command against a real socket",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const pkg = await packageFromCheckout(ROOT);
    await using registry = await LoopbackRegistry.start([pkg]);
    const root = await Deno.makeTempDir({ prefix: "beejnet_jsr_install_" });
    try {
      // A cache of its own: every module comes from the registry.
      const env = { JSR_URL: registry.url, DENO_DIR: join(root, "cache") };
      for (const tool of TOOLS) {
        // As the README says (cwd outside the checkout: no deno.json).
        const result = await run(Deno.execPath(), [
          "install",
          "-g",
          "-N",
          "--unstable-net",
          "-n",
          tool,
          "--root",
          root,
          `jsr:${CONFIG.name}/${tool}`,
        ], { cwd: root, env });
        assertEquals(result.code, 0, `install ${tool}: ${result.stderr}`);
        const shim = await Deno.readTextFile(join(root, "bin", tool));
        assertMatch(shim, new RegExp(`'jsr:${CONFIG.name}/${tool}'`));
        assert(
          registry.requests.includes(
            `/${CONFIG.name}/${CONFIG.version}/cmd/${tool}.ts`,
          ),
          `${tool} was not fetched from the registry`,
        );
      }
      // The worker module is loaded by `new Worker(url)`, which Deno's module
      // graph does not follow: it is installed all the same, so the first
      // --workers run downloads nothing (and works offline).
      const workerModule =
        `/${CONFIG.name}/${CONFIG.version}/lib/_greeting_worker.ts`;
      assert(
        registry.requests.includes(workerModule),
        "deno install did not fetch the worker module",
      );
      await assertToolsWork(root, env);

      // --workers loads its worker module at run time: from JSR a remote
      // module of the package, which needs no read permission.
      const requested = registry.requests.length;
      {
        await using server = new TestProcess(
          join(root, "bin", "server"),
          ["--port", "0", "--workers", "2"],
          { cwd: root, env },
        );
        const [, port] = await server.stderr.waitFor(
          /^server: listening on .*:(\d+)$/,
          "the server's listening line",
        );
        const client = await run(join(root, "bin", "client"), [
          "127.0.0.1",
          "-p",
          port!,
        ], { cwd: root, env });
        assertEquals(client.code, 0, client.stderr);
        assertMatch(client.stdout, /^client: received 'Hello, world!'$/m);
        await server.stdout.waitFor(
          /^server: got connection from 127\.0\.0\.1$/,
          "the server's connection line",
        );
        assert(
          !/Download/.test(server.stderr.text),
          `the first --workers run downloaded: ${server.stderr.text}`,
        );
      }
      assertEquals(
        registry.requests.slice(requested),
        [],
        "the installed tools fetched modules at run time",
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a UDP tool installed from JSR without --unstable-net says it needs the flag",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    // The package's deno.json "unstable" does not reach an installed
    // command: the README's install lines carry --unstable-net.
    const pkg = await packageFromCheckout(ROOT);
    await using registry = await LoopbackRegistry.start([pkg]);
    const root = await Deno.makeTempDir({ prefix: "beejnet_jsr_install_" });
    try {
      const env = { JSR_URL: registry.url, DENO_DIR: join(root, "cache") };
      const installed = await run(Deno.execPath(), [
        "install",
        "-g",
        "-N",
        "-n",
        "listener",
        "--root",
        root,
        `jsr:${CONFIG.name}/listener`,
      ], { cwd: root, env });
      assertEquals(installed.code, 0, installed.stderr);
      const result = await run(join(root, "bin", "listener"), [
        "-p",
        "0",
      ], { cwd: root, env });
      assert(result.code !== 0, "it ran without --unstable-net");
      assertEquals(result.stdout, "");
      assertMatch(result.stderr, /^listener: .*--unstable-net.*\n$/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the loopback registry serves what deno publish lists, bare specifiers unfurled as JSR does",
  ignore: !PERMITTED,
  async fn(): Promise<void> {
    const pkg = await packageFromCheckout(ROOT);
    assertEquals(
      pkg.files.map((f) => f.path),
      (await publishedPaths(ROOT)).map((p) => `/${p}`),
    );
    assert(!pkg.files.some((f) => f.path.startsWith("/tests/")));
    const text = (path: string): string =>
      new TextDecoder().decode(pkg.files.find((f) => f.path === path)!.bytes);
    const imports: Record<string, string> = CONFIG.imports;
    // The code's imports, static and dynamic, name their JSR versions ...
    const options = text("/cmd/_options.ts");
    assertMatch(
      options,
      new RegExp(
        `^import \\{ parseArgs \\} from "${imports["@std/cli"]}/parse-args";$`,
        "m",
      ),
    );
    for (const file of pkg.files.filter((f) => f.path.endsWith(".ts"))) {
      const code = text(file.path).replace(/^\s*(\/\/|\*).*$/gm, "");
      assertEquals(
        [...code.matchAll(/(?:from |import\()"(@std\/[^"]+)"/g)].map((m) =>
          m[1]
        ),
        [],
        `${file.path}: a bare specifier left`,
      );
    }
    // ... and the rest is as written: the files outside code, and the doc
    // comments' examples.
    assertEquals(
      text("/deno.json"),
      await Deno.readTextFile(join(ROOT, "deno.json")),
    );
    const comments = (source: string): string[] =>
      source.split("\n").filter((l) => /^\s*(\/\/|\*|\/\*)/.test(l));
    for (const file of pkg.files.filter((f) => f.path.endsWith(".ts"))) {
      const original = await Deno.readTextFile(join(ROOT, file.path));
      assertEquals(
        comments(text(file.path)),
        comments(original),
        `${file.path}: comments`,
      );
    }
    assertEquals(
      unfurlSpecifier("@std/cli/parse-args", {
        "@std/cli": "jsr:@std/cli@1.0.32",
      }),
      "jsr:@std/cli@1.0.32/parse-args",
    );
    assertEquals(
      unfurlSpecifier("@std/cli", { "@std/cli": "jsr:@std/cli@1.0.32" }),
      "jsr:@std/cli@1.0.32",
    );
    assertEquals(
      unfurlSpecifier("x/y.ts", { "x/": "./vendor/x/" }),
      "./vendor/x/y.ts",
    );
    assertEquals(
      unfurlSpecifier("@std/clix", { "@std/cli": "jsr:@std/cli@1.0.32" }),
      undefined,
    );
  },
});
