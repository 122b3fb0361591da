/**
 * `server` (cmd/server.ts) as a process: spawned with `deno run`, its
 * signals, exit codes and one-line failures as a shell sees them, accept
 * errors under a low file limit, and `--workers`.
 *
 * @module
 */

import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  assertNoStack,
  CAN_SPAWN,
  deadline,
  ignoreUnless,
  listeningPort,
  NEEDS_SPAWN,
  readToEnd,
  runTool,
  TestProcess,
} from "./_util.ts";
import {
  BAD_INPUT,
  count,
  decoder,
  fetchGreeting,
  GREETING,
  WAITING,
} from "./_server.ts";

// ---------------------------------------------------------------------------
// As a process

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `server (process) stops on ${signal}: exit 0, no more connections`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      await using server = TestProcess.tool("server", ["-p", "0"]);
      const port = await listeningPort(server.stderr);
      await server.stdout.waitFor(/^server: waiting/);
      assertStrictEquals(decoder.decode(await fetchGreeting(port)), GREETING);
      await server.stdout.waitFor(/got connection/);
      server.kill(signal);
      assertStrictEquals(await server.exit(), 0);
      assertEquals(server.stdout.lines, [
        WAITING,
        "server: got connection from 127.0.0.1",
      ]);
      assertEquals(server.stderr.lines, [
        `server: listening on [::]:${port}`,
      ]);
      assertNoStack(server.stderr.text);
      await assertRejects(
        () => Deno.connect({ hostname: "127.0.0.1", port }),
        Deno.errors.ConnectionRefused,
      );
    },
  });
}

Deno.test({
  name: "server (process) -v on SIGTERM says it stopped",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", ["-v", "-p", "0"]);
    const port = await listeningPort(server.stderr);
    server.kill("SIGTERM");
    assertStrictEquals(await server.exit(), 0);
    assertEquals(server.stdout.lines, [WAITING]);
    assertEquals(server.stderr.lines, [
      `server: listening on [::]:${port}`,
      "server: stopped",
    ]);
  },
});

Deno.test({
  name: "server (process) bad input: one line, exit 1, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    for (const [args, expected] of BAD_INPUT.slice(0, 8)) {
      const { code, stdout, stderr } = await runTool("server", args);
      const what = `server ${JSON.stringify(args)}`;
      assertStrictEquals(code, 1, what);
      assertStrictEquals(stdout, "", what);
      assertNoStack(stderr);
      const lines = stderr.split("\n").slice(0, -1);
      assertStrictEquals(lines.length, 1, `${what}: ${stderr}`);
      assertMatch(lines[0]!, expected, what);
    }
  },
});

Deno.test({
  name: "server (process) cannot bind: 'failed to bind', exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = taken.addr as Deno.NetAddr;
    const { code, stdout, stderr } = await runTool("server", [
      "-b",
      "127.0.0.1",
      "-p",
      `${port}`,
    ]);
    assertStrictEquals(code, 1);
    assertStrictEquals(stdout, "");
    assertStrictEquals(
      stderr,
      "server: bind: Address already in use\nserver: failed to bind\n",
    );
  },
});

Deno.test({
  name:
    "server (process) without --allow-net: one line naming --allow-net, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { code, stdout, stderr } = await runTool("server", ["-p", "0"], {
      permissions: ["--allow-net=10.9.9.9"],
    });
    assertStrictEquals(code, 1);
    assertStrictEquals(stdout, "");
    assertNoStack(stderr);
    assertMatch(stderr, /^server: permission denied: .*--allow-net.*\n$/);
  },
});

/** Where `prlimit` is, if this machine has it. */
const PRLIMIT = CAN_SPAWN
  ? (Deno.env.get("PATH") ?? "").split(":").map((dir) => `${dir}/prlimit`)
    .find((path) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    })
  : undefined;

async function prlimit(pid: number, nofile: string): Promise<void> {
  const { code, stderr } = await deadline(
    new Deno.Command(PRLIMIT!, {
      args: ["--pid", `${pid}`, `--nofile=${nofile}`],
      stdout: "null",
      stderr: "piped",
    }).output(),
    "prlimit",
  );
  assertStrictEquals(code, 0, decoder.decode(stderr));
}

Deno.test({
  name: "server (process) survives accept errors: reports once, serves again",
  ignore: NEEDS_SPAWN() ||
    ignoreUnless(
      PRLIMIT !== undefined,
      "the accept-error test needs prlimit (util-linux) to lower a file limit",
    ),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", [
      "-b",
      "127.0.0.1",
      "-p",
      "0",
    ]);
    const port = await listeningPort(server.stderr);
    const pid = server.child.pid;
    // No descriptor left: every accept() fails with EMFILE.
    const hard = decoder.decode(
      (await new Deno.Command(PRLIMIT!, {
        args: ["--pid", `${pid}`, "--nofile", "--output=HARD", "--noheadings"],
        stdout: "piped",
      }).output()).stdout,
    ).trim();
    await prlimit(pid, `1:${hard}`);
    const first = await deadline(
      Deno.connect({ hostname: "127.0.0.1", port }),
      "a connection while out of descriptors",
    );
    await server.stderr.waitFor(/^accept: /);
    const second = await deadline(
      Deno.connect({ hostname: "127.0.0.1", port }),
      "a second connection while out of descriptors",
    );
    await prlimit(pid, `${hard}:${hard}`);
    assertStrictEquals(decoder.decode((await readToEnd(first)).data), GREETING);
    assertStrictEquals(
      decoder.decode((await readToEnd(second)).data),
      GREETING,
    );
    assertStrictEquals(decoder.decode(await fetchGreeting(port)), GREETING);
    server.kill("SIGTERM");
    assertStrictEquals(await server.exit(), 0);
    assertNoStack(server.stderr.text);
    assertEquals(server.stderr.lines, [
      `server: listening on 127.0.0.1:${port}`,
      "accept: Too many open files (retrying)",
    ]);
    assertStrictEquals(
      count(server.stdout, "server: got connection from 127.0.0.1"),
      3,
    );
  },
});

// ---------------------------------------------------------------------------
// --workers

Deno.test({
  name: "server --workers 2 serves every connection on its one port",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", [
      "-p",
      "0",
      "--workers",
      "2",
    ], { permissions: ["--allow-net", "--allow-read"] });
    await server.stdout.waitFor(new RegExp(`^${WAITING}$`));
    const port = await listeningPort(server.stderr);
    for (let i = 0; i < 20; i++) {
      assertStrictEquals(decoder.decode(await fetchGreeting(port)), GREETING);
    }
    server.kill("SIGINT");
    assertStrictEquals(await server.exit(), 0);
    assertStrictEquals(
      count(server.stdout, "server: got connection from 127.0.0.1"),
      20,
    );
    assertNoStack(server.stderr.text);
  },
});

Deno.test({
  name: "server --workers without read access to its module: one line, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { code, stdout, stderr } = await runTool("server", [
      "-p",
      "0",
      "--workers",
      "2",
    ]);
    assertStrictEquals(code, 1);
    assertStrictEquals(stdout, "");
    const lines = stderr.trimEnd().split("\n");
    assertStrictEquals(lines.length, 1, stderr);
    assertMatch(lines[0]!, /^server: permission denied: .*--allow-read=/);
  },
});
