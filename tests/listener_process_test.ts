/**
 * `listener` (cmd/listener.ts) as a process: spawned with `deno run`, its
 * exit codes, signals and one-line failures as a shell sees them.
 *
 * @module
 */

import { assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import {
  assertNoStack,
  assertOneLineFailure,
  bytes,
  closing,
  listeningPort,
  NEEDS_SPAWN,
  runTool,
  TestProcess,
  udpSocket,
} from "./_util.ts";
import {
  BAD_INPUT,
  counts,
  numberedSender,
  packetLines,
  send,
  WAITING,
} from "./_listener.ts";

Deno.test({
  name: "listener (process) takes one datagram and exits 0",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using listener = TestProcess.tool("listener", ["-p", "0"]);
    const port = await listeningPort(listener.stderr);
    await listener.stdout.waitFor(/^listener: waiting/);
    await send(port, bytes("DATA"));
    assertStrictEquals(await listener.exit(), 0);
    assertEquals(listener.stdout.lines, [
      WAITING,
      ...packetLines("127.0.0.1", 4, "DATA"),
    ]);
    assertEquals(listener.stderr.lines, [
      `listener: listening on [::]:${port}`,
    ]);
  },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `listener (process) -k stops on ${signal}, exit 0`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      await using listener = TestProcess.tool("listener", ["-k", "-p", "0"]);
      const port = await listeningPort(listener.stderr);
      for (const text of ["a", "b"]) {
        await send(port, bytes(text));
        await listener.stdout.waitFor(new RegExp(`contains "${text}"`));
      }
      listener.kill(signal);
      assertStrictEquals(await listener.exit(), 0);
      assertEquals(listener.stdout.lines, [
        WAITING,
        ...packetLines("127.0.0.1", 1, "a"),
        ...packetLines("127.0.0.1", 1, "b"),
      ]);
      assertNoStack(listener.stderr.text);
      assertEquals(listener.stderr.lines, [
        `listener: listening on [::]:${port}`,
      ]);
    },
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `listener (process) -k --stats reports at ${signal}, exit 0`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      await using listener = TestProcess.tool("listener", [
        "-k",
        "--stats",
        "-q",
        "--stats-interval",
        "0.05",
        "-p",
        "0",
      ]);
      const port = await listeningPort(listener.stderr);
      using a = numberedSender();
      for (const seq of [0, 1, 3]) await a.sendSeq(port, seq);
      // No line per datagram to wait for: a report that counted all three.
      await listener.stdout.waitFor(/received 3 /);
      listener.kill(signal);
      assertStrictEquals(await listener.exit(), 0);
      const all = listener.stdout.lines;
      const lines = all.slice(all.findIndex((l) => /final report/.test(l)));
      assertMatch(lines[0]!, /^listener: final report after/);
      assertEquals(
        lines[1],
        `listener: 127.0.0.1 port ${a.port}, numbered 0-3`,
      );
      assertEquals(counts(lines[2]), [3, 1, 0, 0]);
      assertNoStack(listener.stderr.text);
    },
  });
}

Deno.test({
  name: "listener (process) -c --stats stopped early reports too, exit 130",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await using listener = TestProcess.tool("listener", [
      "-c",
      "10",
      "--stats",
      "-p",
      "0",
    ]);
    const port = await listeningPort(listener.stderr);
    using a = numberedSender();
    await a.sendSeq(port, 0, { payload: "one" });
    await listener.stdout.waitFor(/contains "one"/);
    listener.kill("SIGINT");
    assertStrictEquals(await listener.exit(), 130);
    assertMatch(listener.stdout.lines[4]!, /^listener: final report after/);
    assertEquals(counts(listener.stdout.lines[6]), [1, 0, 0, 0]);
  },
});

Deno.test({
  name: "listener (process) cannot bind: exit 2",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using taken = closing(udpSocket("127.0.0.1"));
    const { port } = taken.addr as Deno.NetAddr;
    const result = await runTool("listener", [
      "-b",
      "127.0.0.1",
      "-p",
      `${port}`,
    ]);
    assertStrictEquals(result.code, 2);
    assertStrictEquals(result.stdout, "");
    assertStrictEquals(
      result.stderr,
      "listener: bind: Address already in use\nlistener: failed to bind socket\n",
    );
  },
});

Deno.test({
  name: "listener (process) bad input: one line, exit 1, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    for (const [args, expected] of BAD_INPUT.slice(0, 9)) {
      const result = await runTool("listener", args);
      assertOneLineFailure(
        result,
        expected,
        `listener ${JSON.stringify(args)}`,
      );
    }
  },
});

Deno.test({
  name:
    "listener (process) without --allow-net: one line naming --allow-net, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const result = await runTool("listener", ["-p", "0"], {
      permissions: ["--allow-net=10.9.9.9"],
    });
    assertStrictEquals(result.code, 1);
    assertStrictEquals(result.stdout, "");
    assertNoStack(result.stderr);
    assertMatch(
      result.stderr,
      /^listener: permission denied: .*--allow-net.*\n$/,
    );
  },
});
