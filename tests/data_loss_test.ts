/**
 * Data that arrived is shown: what `client` received before the server reset
 * the connection or before a signal stopped it, and every datagram a
 * `listener` received while its stdout's reader stalled.
 *
 * @module
 */

import { assertEquals, assertLessOrEqual } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { BatchedOutput } from "../cmd/_batched_output.ts";
import type { Sink } from "../cmd/_output.ts";
import {
  catches,
  countLines,
  HAS_PROC_NET,
  needs,
  onePeer,
  resettingPeer,
  startTool,
  udpPeer,
  udpQueue,
  waitConsumed,
  waitUntil,
  writeAll,
} from "./_peers.ts";
import { assertNoStack, bytes, ignoreUnless, TestProcess } from "./_util.ts";

Deno.test({
  name:
    "client shows what arrived before the server reset the connection, then the reset, exit 1",
  ignore: needs("node"),
  async fn(): Promise<void> {
    const peer = await resettingPeer("partial");
    await using _ = peer.proc;
    const { port } = peer;
    await using client = TestProcess.tool("client", [
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    await client.stdout.waitFor(/^client: connecting to 127\.0\.0\.1$/);
    await peer.sent;
    await peer.reset();
    const status = await client.status();
    assertNoStack(client.stderr.text);
    assertEquals(client.stdout.lines, [
      "client: connecting to 127.0.0.1",
      "client: received 'partial'",
    ]);
    assertEquals(client.stderr.lines, ["recv: Connection reset by peer"]);
    assertEquals(status.code, 1);
  },
});

Deno.test({
  name:
    "client --json shows what arrived before a reset as a received event, then the error, exit 1",
  ignore: needs("node"),
  async fn(): Promise<void> {
    const peer = await resettingPeer("partial");
    await using _ = peer.proc;
    const { port } = peer;
    await using client = TestProcess.tool("client", [
      "--json",
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    await client.stdout.waitFor(/"connection"/);
    await peer.sent;
    await peer.reset();
    const status = await client.status();
    const events = client.stdout.lines.map((line) => JSON.parse(line));
    assertEquals(events.map((e) => e.event), [
      "connection",
      "received",
      "error",
    ]);
    assertEquals(events[1].bytes, 7);
    assertEquals(events[1].text, "partial");
    assertEquals(events[2].context, "recv");
    assertEquals(events[2].message, "Connection reset by peer");
    assertEquals(client.stderr.lines, ["recv: Connection reset by peer"]);
    assertEquals(status.code, 1);
  },
});

Deno.test({
  name: "client --raw keeps the bytes that arrived before a reset, exit 1",
  ignore: needs("node"),
  async fn(): Promise<void> {
    const peer = await resettingPeer("partial");
    await using _ = peer.proc;
    const { port } = peer;
    await using client = TestProcess.tool("client", [
      "--raw",
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    await client.stderr.waitFor(/^client: connecting to 127\.0\.0\.1$/);
    await peer.sent;
    await peer.reset();
    const status = await client.status();
    assertEquals(client.stdout.text, "partial");
    assertEquals(client.stderr.lines, [
      "client: connecting to 127.0.0.1",
      "client: received 7 bytes",
      "recv: Connection reset by peer",
    ]);
    assertEquals(status.code, 1);
  },
});

for (
  const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const
) {
  Deno.test({
    name: `client stopped by ${signal} shows what arrived, then exits ${code}`,
    ignore: needs("sh") ||
      ignoreUnless(HAS_PROC_NET, "this test reads /proc/net/tcp (Linux)"),
    async fn(): Promise<void> {
      const { promise: stopped, resolve: stop } = Promise.withResolvers<
        void
      >();
      const peer = onePeer(async (conn) => {
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
        await waitConsumed(peer.port); // the client has read "abc"
        // ... and, waiting for more, catches the signal.
        await waitUntil(
          () => catches(client.child.pid, signal),
          `the client to catch ${signal}`,
        );
        client.kill(signal);
        const status = await client.status();
        assertNoStack(client.stderr.text);
        assertEquals(client.stdout.lines, [
          "client: connecting to 127.0.0.1",
          "client: received 'abc'",
        ]);
        assertEquals(status.code, code);
        assertEquals(status.signal, null, "it exits; it is not killed");
      } finally {
        stop();
        await peer.done.catch(() => {});
      }
    },
  });
}

Deno.test({
  name:
    "client --json stopped by SIGTERM shows the received event, then exits 143",
  ignore: needs("sh") ||
    ignoreUnless(HAS_PROC_NET, "this test reads /proc/net/tcp (Linux)"),
  async fn(): Promise<void> {
    const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
    const peer = onePeer(async (conn) => {
      await writeAll(conn, bytes("abc"));
      await stopped;
    });
    try {
      await using client = TestProcess.tool("client", [
        "--json",
        "-p",
        `${peer.port}`,
        "127.0.0.1",
      ]);
      await client.stdout.waitFor(/"connection"/);
      await waitConsumed(peer.port);
      await waitUntil(
        () => catches(client.child.pid, "SIGTERM"),
        "the client to catch SIGTERM",
      );
      client.kill("SIGTERM");
      const status = await client.status();
      const events = client.stdout.lines.map((line) => JSON.parse(line));
      assertEquals(events.map((e) => e.event), ["connection", "received"]);
      assertEquals(events[1].text, "abc");
      assertEquals(status.code, 143);
    } finally {
      stop();
      await peer.done.catch(() => {});
    }
  },
});

Deno.test({
  name:
    "listener -k whose stdout reader stalls receives on: its lines wait behind the write in flight, none lost",
  ignore: needs("sh") ||
    ignoreUnless(HAS_PROC_NET, "this test reads /proc/net/udp (Linux)"),
  async fn(): Promise<void> {
    const { proc, port } = await startTool("listener", ["-k", "-p", "0"]);
    await using _ = proc;
    proc.holdStdout();
    using socket = udpPeer();
    const payload = new Uint8Array(100).fill(0x61);
    const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
    // 3,000 datagrams: ~570 KB of lines, many times what the pipe holds. Sent
    // in bursts the receive buffer holds; after each, the listener must
    // empty it, which it cannot while blocked in a write to the full pipe.
    const total = 3_000, burst = 50;
    for (let sent = 0; sent < total; sent += burst) {
      for (let i = 0; i < burst; i++) await socket.send(payload, to);
      await waitUntil(
        () => udpQueue(port).queued === 0,
        `the listener to read datagrams ${sent}-${sent + burst}`,
      );
    }
    assertEquals(udpQueue(port).drops, 0);
    proc.resumeStdout();
    await waitUntil(
      () =>
        countLines(proc.stdout, "listener: packet is 100 bytes long") === total,
      "every datagram's lines",
    );
    proc.kill("SIGTERM");
    assertEquals(await proc.exit(), 0);
  },
});

/** A file-like stdout: asynchronous writes that are done at once, counted. */
function countingSink(): Sink & { writes: number; text: () => string } {
  const chunks: Uint8Array[] = [];
  const sink = {
    writes: 0,
    writeSync(p: Uint8Array): number {
      sink.writes++;
      chunks.push(p.slice());
      return p.length;
    },
    write(p: Uint8Array): Promise<number> {
      return Promise.resolve(sink.writeSync(p));
    },
    isTerminal: () => false,
    text: () => new TextDecoder().decode(concat(chunks)),
  };
  return sink;
}

Deno.test(
  "a pipelined Output gathers a stream of lines whose writes are each done before the next line: at most 1 write per 10 lines, and the last lines reach stdout after the stream stops with nothing more queued",
  async () => {
    const stdout = countingSink();
    const out = new BatchedOutput("listener", {
      stdout,
      stderr: countingSink(),
    }, {
      pipeline: true,
    });
    const lines: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const line = `listener: got packet ${i} from 127.0.0.1, 32 bytes long`;
      lines.push(line);
      out.stdout(line);
      // The next datagram after the write in flight is done (its promise
      // settles within these few microtasks), and before any timer.
      for (let hop = 0; hop < 5; hop++) await null;
    }
    const expected = lines.map((line) => line + "\n").join("");
    // The stream stopped, nothing is flushed or closed: the lines still go.
    await waitUntil(() => stdout.text() === expected, "the last lines");
    assertEquals(stdout.text(), expected);
    assertLessOrEqual(stdout.writes, lines.length / 10);
    await out.close();
  },
);
