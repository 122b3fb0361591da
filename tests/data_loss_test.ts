/**
 * Data that arrived is shown: what `client` received before the server reset
 * the connection or before a signal stopped it. (Every datagram a `listener`
 * received while its stdout's reader stalled: tests/stalled_stdout_test.ts.)
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import {
  catches,
  HAS_PROC_NET,
  needs,
  onePeer,
  resettingPeer,
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
