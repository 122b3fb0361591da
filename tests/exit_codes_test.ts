// Each tool's exit-code table: every code in it is reached by a test (named
// here, or run here where no other test reaches it), and the signals are
// listened to only when a run needs them.

import { assert, assertEquals, assertFalse, assertMatch } from "@std/assert";
import { EXIT_CODES as CLIENT } from "../cmd/_client.ts";
import { EXIT_CODES as LISTENER } from "../cmd/_listener.ts";
import { EXIT_CODES as SERVER } from "../cmd/_server.ts";
import { EXIT_CODES as TALKER } from "../cmd/_talker.ts";
import type { ExitCode } from "../cmd/_exit_codes.ts";
import {
  catches,
  HAS_PROC_NET,
  onePeer,
  waitConsumed,
  waitUntil,
  writeAll,
} from "./_peers.ts";
import {
  assertNoStack,
  bytes,
  deadline,
  ignoreUnless,
  NEEDS_SPAWN,
  TestProcess,
  udpSocket,
} from "./_util.ts";

/**
 * Where each code of each table is reached: a test's file and name (as its
 * source spells it, `${...}` included).
 */
const REACHED: Record<string, [readonly ExitCode[], Record<number, string>]> = {
  client: [CLIENT, {
    0: "client_test: client receives the greeting of our server, exit 0",
    1: "client_test: client --max-bytes 10 cuts 20 bytes at 10 and says so, exit 1",
    2: "client_test: client refused: connect line, then 'failed to connect', exit 2",
    129:
      "data_loss_test: client stopped by ${signal} shows what arrived, then exits ${code}",
    130:
      "data_loss_test: client stopped by ${signal} shows what arrived, then exits ${code}",
    141: "stdout_test: client whose reader went away stops quietly, exit 141",
    143:
      "data_loss_test: client stopped by ${signal} shows what arrived, then exits ${code}",
  }],
  server: [SERVER, {
    0: "messages_test: server stops on SIGHUP as on SIGTERM: finishes, exit 0",
    1: "stdout_test: server to a full disk stops by itself: the stdout line alone, exit 1",
    141:
      "stdout_test: server whose reader went away greets the client in flight, then stops quietly, exit 141",
  }],
  listener: [LISTENER, {
    0: "messages_test: listener stopped before its count exits 128+N: 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP; -k exits 0",
    1: "stdout_test: every tool's help and version to a full disk: one stdout line, exit 1",
    2: "messages_test: server -v and listener -v name the address of each failed bind",
    129:
      "messages_test: listener stopped before its count exits 128+N: 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP; -k exits 0",
    130:
      "messages_test: listener stopped before its count exits 128+N: 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP; -k exits 0",
    141:
      "stdout_test: listener -k whose reader went away stops quietly at the next datagram, exit 141",
    143:
      "messages_test: listener stopped before its count exits 128+N: 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP; -k exits 0",
  }],
  talker: [TALKER, {
    0: "talker_test: talker sends the message and names the host as typed, exit 0",
    1: "talker_test: runTalker() reports a failed send as the sendto line, exit 1",
    2: "paths_test: listener and talker without --unstable-net: one line saying UDP needs it, exit 2",
    129:
      "exit_codes_test: talker -c stopped by ${signal} closes with what it did, exit ${code}",
    130:
      "talker_numbered_test: talker -c stopped by a signal closes with what it did, exit 130",
    141:
      "stdout_test: talker whose reader went away: sent, then quiet, exit 141",
    143:
      "exit_codes_test: talker -c stopped by ${signal} closes with what it did, exit ${code}",
  }],
};

for (const [tool, [table, reached]] of Object.entries(REACHED)) {
  Deno.test(`${tool}'s exit codes are each reached by a test`, () => {
    assertEquals(
      table.map((row) => row.code),
      Object.keys(reached).map(Number),
    );
    for (const row of table) assert(row.causes.length > 0, `${row.code}`);
  });

  Deno.test(`${tool}'s exit codes are reached by tests that exist`, async () => {
    for (const where of Object.values(reached)) {
      const [file, name] = where.split(/: (.*)/s);
      const source = await Deno.readTextFile(
        new URL(`./${file}.ts`, import.meta.url),
      );
      assert(source.includes(name!), `no test "${name}" in ${file}`);
    }
  });
}

for (const [signal, code] of [["SIGHUP", 129], ["SIGTERM", 143]] as const) {
  Deno.test({
    name:
      `talker -c stopped by ${signal} closes with what it did, exit ${code}`,
    ignore: NEEDS_SPAWN() ||
      ignoreUnless(HAS_PROC_NET, "this test reads /proc (Linux)"),
    async fn(): Promise<void> {
      const socket = udpSocket();
      const port = (socket.addr as Deno.NetAddr).port;
      try {
        await using talker = TestProcess.tool("talker", [
          "-p",
          `${port}`,
          "-c",
          "1000",
          "--interval",
          "0.005",
          "127.0.0.1",
          "x",
        ]);
        await deadline(socket.receive(), "a first datagram");
        await waitUntil(
          () => catches(talker.child.pid, signal),
          `the talker to catch ${signal}`,
        );
        talker.kill(signal);
        const status = await talker.status();
        assertNoStack(talker.stderr.text);
        assertMatch(talker.stdout.text, /\(stopped after \d+ of 1000\)\n$/);
        assertEquals(status.code, code);
        assertEquals(status.signal, null, "it exits; it is not killed");
      } finally {
        socket.close();
      }
    },
  });
}

Deno.test({
  name:
    "client listens to SIGINT only once data has arrived and a read has to wait",
  ignore: NEEDS_SPAWN() ||
    ignoreUnless(HAS_PROC_NET, "this test reads /proc/net/tcp (Linux)"),
  async fn(): Promise<void> {
    const { promise: send, resolve: sendNow } = Promise.withResolvers<void>();
    const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
    const peer = onePeer(async (conn) => {
      await send;
      await writeAll(conn, bytes("abc"));
      await stopped; // and stay open
    });
    try {
      await using client = TestProcess.tool("client", [
        "-p",
        `${peer.port}`,
        "127.0.0.1",
      ]);
      await client.stdout.waitFor(/^client: connecting to 127\.0\.0\.1$/);
      // Connected, waiting for a first byte: nothing to lose yet.
      assertFalse(catches(client.child.pid, "SIGINT"));
      sendNow();
      await waitConsumed(peer.port);
      await waitUntil(
        () => catches(client.child.pid, "SIGINT"),
        "the client to catch SIGINT",
      );
      client.kill("SIGINT");
      assertEquals((await client.status()).code, 130);
      assertEquals(client.stdout.lines.at(-1), "client: received 'abc'");
    } finally {
      sendNow();
      stop();
      await peer.done.catch(() => {});
    }
  },
});
