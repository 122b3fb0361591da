/**
 * The paths the README promises: `deno task server --workers 2` in a
 * checkout, from any folder of it (its read permission: server_task_test.ts);
 * the compiled server with workers; listener and talker run without
 * `--unstable-net`; and the Node-only way to run the server, which must
 * leave no server behind when its npx process is killed.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { needs } from "./_peers.ts";
import {
  assertNoStack,
  CAN_SPAWN,
  deadline,
  ignoreUnless,
  TestProcess,
} from "./_util.ts";

const linesOf = (text: string): string[] => text.split("\n").slice(0, -1);

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = ROOT.pathname;
const decoder = new TextDecoder();

/** Connect and read the greeting. */
async function greeting(port: number): Promise<string> {
  const conn = await deadline(
    Deno.connect({ hostname: "127.0.0.1", port }),
    "a connection",
  );
  return await deadline(new Response(conn.readable).text(), "the greeting");
}

// ---------------------------------------------------------------------------
// deno task server --workers 2

for (const cwd of ["", "tests/"]) {
  Deno.test({
    name: `deno task server --workers 2 serves from the checkout${
      cwd ? ` (run from ${cwd})` : ""
    }, and stops on SIGTERM`,
    ignore: needs("setsid"),
    async fn(): Promise<void> {
      await using task = new TestProcess(
        Deno.execPath(),
        ["task", "server", "-p", "0", "--workers", "2", "-v"],
        { cwd: ROOT_PATH + cwd, session: true },
      );
      const [, port] = await task.stderr.waitFor(
        /^server: listening on .*:(\d+)$/,
      );
      for (let i = 0; i < 4; i++) {
        assertEquals(await greeting(Number(port)), "Hello, world!");
      }
      task.kill("SIGTERM");
      const status = await task.status();
      assertEquals(status.code, 0, task.stderr.text);
      assert(task.stderr.lines.includes("server: stopped"), task.stderr.text);
      assertNoStack(task.stderr.text);
    },
  });
}

// ---------------------------------------------------------------------------
// The compiled server with workers

const DENORT_BIN = CAN_SPAWN ? Deno.env.get("DENORT_BIN") : undefined;

Deno.test({
  name: "compiled server --workers 2 serves with --allow-net alone",
  ignore: ignoreUnless(
    DENORT_BIN !== undefined && DENORT_BIN !== "",
    "the compiled server with workers needs a Deno runtime: set DENORT_BIN to test it",
  ),
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir({ prefix: "beejnet_workers_" });
    try {
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["task", "compile", "--out-dir", dir],
        cwd: ROOT_PATH,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(build.code, 0, decoder.decode(build.stderr));
      await using server = new TestProcess(`${dir}/server`, [
        "-p",
        "0",
        "--workers",
        "2",
        "-v",
      ]);
      const [, port] = await server.stderr.waitFor(
        /^server: listening on .*:(\d+)$/,
      );
      for (let i = 0; i < 4; i++) {
        assertEquals(await greeting(Number(port)), "Hello, world!");
      }
      server.kill("SIGTERM");
      assertEquals(await server.exit(), 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------
// Without --unstable-net

/** A copy of deno.json without `"unstable"`, as a user without it has. */
async function configWithoutUnstable(): Promise<string> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  delete config.unstable;
  const dir = await Deno.makeTempDir({ prefix: "beejnet_config_" });
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config));
  return dir;
}

Deno.test({
  name:
    "listener and talker without --unstable-net: one line saying UDP needs it, exit 2",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const dir = await configWithoutUnstable();
    try {
      const flags = ["--config", `${dir}/deno.json`];
      for (
        const [tool, args] of [
          ["listener", ["-p", "0"]],
          ["talker", ["127.0.0.1", "hi"]],
        ] as const
      ) {
        const result = await TestProcess.run(tool, [...args], { flags });
        assertNoStack(result.stderr, tool);
        const lines = linesOf(result.stderr);
        assertEquals(lines.length, 1, `${tool}: ${result.stderr}`);
        assertMatch(lines[0]!, new RegExp(`^${tool}: .*--unstable-net`));
        assertEquals(result.stdout, "");
        assertEquals(result.status.code, 2, tool);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "server --workers without --unstable-net: one line saying it needs the flag, exit 1, no stack trace",
  ignore: needs("sh"),
  async fn(): Promise<void> {
    const dir = await configWithoutUnstable();
    try {
      const flags = ["--config", `${dir}/deno.json`, "--allow-read=lib/"];
      const result = await TestProcess.run("server", [
        "--workers",
        "2",
        "-p",
        "0",
      ], { flags });
      assertNoStack(result.stderr, "server");
      assertEquals(linesOf(result.stderr), [
        "server: --workers needs Deno's --unstable-net flag " +
        "(deno run --unstable-net ...; deno task sets it from deno.json)",
      ]);
      assertEquals(result.stdout, "");
      assertEquals(result.status.code, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------
// The Node-only path

/** The README's Node-only command that runs the server. */
function readmeNpxServer(): string | undefined {
  const readme = Deno.readTextFileSync(new URL("README.md", ROOT));
  return readme.split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .find((line) => /^npx .*task server\b/.test(line));
}

const NPX = CAN_SPAWN && (() => {
  try {
    return new Deno.Command("npx", {
      args: ["-y", "-p", "deno@2.9", "-c", "exec deno --version"],
      cwd: ROOT_PATH,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "the README's npx command for the server: kill of npx stops the server, none is left behind",
  ignore: needs("setsid") || ignoreUnless(
    NPX,
    "the Node-only path needs npx that can run deno@2.9 (npm install -g deno@2.9)",
  ),
  async fn(): Promise<void> {
    const command = readmeNpxServer();
    assert(command, "README shows no npx command for the server");
    // Its own port and -v, inside the command's quotes if it has them.
    const ours = command.replace(/task server\b/, "task server -p 0 -v");
    await using npx = new TestProcess("sh", ["-c", `exec ${ours}`], {
      cwd: ROOT_PATH,
      session: true,
    });
    const [, port] = await npx.stderr.waitFor(
      /^server: listening on .*:(\d+)$/,
    );
    assertEquals(await greeting(Number(port)), "Hello, world!");
    npx.kill("SIGTERM");
    // Its output ends only once every process holding it is gone.
    await npx.status();
    assert(npx.stderr.lines.includes("server: stopped"), npx.stderr.text);
    try {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(port),
      });
      conn.close();
      throw new Error(`a server is left on port ${port}`);
    } catch (error) {
      assert(error instanceof Deno.errors.ConnectionRefused, String(error));
    }
  },
});
