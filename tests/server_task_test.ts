/**
 * `deno task server` as deno.json declares it: its read permission covers
 * every module a worker of `--workers` loads (the folder that holds them,
 * not a list that a new import would leave behind), grants nothing outside
 * that folder, and the task serves with workers from a checkout and stops on
 * SIGINT, as it does for Ctrl-C in a terminal.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { needs } from "./_peers.ts";
import {
  assertNoStack,
  CAN_SPAWN,
  deadline,
  ignoreUnless,
  TestProcess,
} from "./_util.ts";

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = ROOT.pathname;
const LIB_PATH = new URL("lib/", ROOT).pathname;
const WORKER = "lib/_greeting_worker.ts";

/** The words of the server task, from deno.json. */
function serverTask(): string[] {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("deno.json", ROOT)),
  ) as { tasks: Record<string, string> };
  return config.tasks.server!.trim().split(/\s+/);
}

/**
 * What the task's `--allow-read` grants, as absolute paths (a folder ends
 * in "/"), resolved from the checkout's root, where deno task runs it.
 */
function taskReadGrants(): string[] {
  const flags = serverTask().filter((w) => w.startsWith("--allow-read"));
  assertEquals(flags.length, 1, `one --allow-read in: ${serverTask()}`);
  const [, list] = flags[0]!.split("=", 2);
  assert(list, "the server task grants read of everything: no list");
  return list.split(",").map((path) => {
    const url = new URL(path, ROOT);
    const absolute = url.pathname;
    try {
      return Deno.statSync(url).isDirectory && !absolute.endsWith("/")
        ? `${absolute}/`
        : absolute;
    } catch {
      return absolute;
    }
  });
}

/** Whether `grant` (a file, or a folder ending in "/") covers `file`. */
function covers(grant: string, file: string): boolean {
  return grant.endsWith("/") ? file.startsWith(grant) : file === grant;
}

/**
 * Every local module a worker loads when it runs: its entry and, from
 * `deno info --json`, every import that is code (static or dynamic),
 * transitively; type imports are erased and never loaded.
 */
async function workerGraph(): Promise<string[]> {
  const { code, stdout, stderr } = await deadline(
    new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", WORKER],
      cwd: ROOT_PATH,
      stdout: "piped",
      stderr: "piped",
    }).output(),
    "deno info",
    30_000,
  );
  const decoder = new TextDecoder();
  assertEquals(code, 0, decoder.decode(stderr));
  const info = JSON.parse(decoder.decode(stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string } }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const next = [...info.roots];
  while (next.length > 0) {
    const specifier = next.pop()!;
    if (loaded.has(specifier)) continue;
    loaded.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code) next.push(dependency.code.specifier);
    }
  }
  return [...loaded].filter((s) => s.startsWith("file:"))
    .map((s) => new URL(s).pathname).sort();
}

Deno.test({
  name:
    "deno task server: its --allow-read covers every module of the worker's graph",
  ignore: ignoreUnless(CAN_SPAWN, "needs --allow-run --allow-read --allow-env"),
  async fn(): Promise<void> {
    const grants = taskReadGrants();
    const files = await workerGraph();
    assert(files.includes(new URL(WORKER, ROOT).pathname), String(files));
    assert(files.length > 1, String(files));
    const uncovered = files.filter((f) => !grants.some((g) => covers(g, f)));
    assertEquals(uncovered, [], `not covered by ${grants}`);
  },
});

Deno.test({
  name:
    "deno task server: its --allow-read grants nothing outside lib/, and no path the worker does not load from",
  ignore: ignoreUnless(CAN_SPAWN, "needs --allow-run --allow-read --allow-env"),
  async fn(): Promise<void> {
    const grants = taskReadGrants();
    const files = await workerGraph();
    for (const grant of grants) {
      assert(
        grant.startsWith(LIB_PATH),
        `"${grant}" is outside ${LIB_PATH}`,
      );
      assert(
        files.some((f) => covers(grant, f)),
        `"${grant}" holds no module of the worker`,
      );
    }
  },
});

/** Connect and read the greeting. */
async function greeting(port: number): Promise<string> {
  const conn = await deadline(
    Deno.connect({ hostname: "127.0.0.1", port }),
    "a connection",
  );
  return await deadline(new Response(conn.readable).text(), "the greeting");
}

for (
  const [how, stop] of [
    ["the task's process", (p: TestProcess) => p.kill("SIGINT")],
    // A terminal's Ctrl-C: the whole foreground process group.
    [
      "its process group, as Ctrl-C does",
      (p: TestProcess) => Deno.kill(-p.child.pid, "SIGINT"),
    ],
  ] as const
) {
  Deno.test({
    name:
      `deno task server --workers 2 -p 0 greets twice and stops on SIGINT to ${how}`,
    ignore: needs("setsid"),
    async fn(): Promise<void> {
      // A session of its own: disposing of it ends the task and the server.
      await using task = new TestProcess(
        Deno.execPath(),
        ["task", "server", "--workers", "2", "-p", "0", "-v"],
        { cwd: ROOT_PATH, session: true },
      );
      const [, port] = await task.stderr.waitFor(
        /^server: listening on .*:(\d+)$/,
        "the server's listening line",
      );
      for (let i = 0; i < 2; i++) {
        assertEquals(await greeting(Number(port)), "Hello, world!");
      }
      stop(task);
      const status = await task.status();
      assertEquals(status.code, 0, task.stderr.text);
      assert(task.stderr.lines.includes("server: stopped"), task.stderr.text);
      assertNoStack(task.stderr.text);
      // Every line of the task's output is the server's, none a failure of
      // a worker (a module it may not read would say "Requires read access").
      assert(!/read access|error/i.test(task.stderr.text), task.stderr.text);
    },
  });
}
