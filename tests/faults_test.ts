/**
 * Faults: the server keeps serving and nothing that completed loses a byte
 * when peers reset, when file descriptors run out and when a signal arrives
 * under load; the client fails the reference way on silent, talkative,
 * refusing and unresolvable peers; the listener prints every one of 10,000
 * datagrams. Every tool runs as its own process.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import {
  bytes,
  deadline,
  freeTcpPort,
  HAS_IPV6,
  listeningPort,
  NEEDS_SPAWN,
  type ReadResult,
  readToEnd,
  runTool,
  TestProcess,
  toolCommand,
} from "./_util.ts";
import {
  assertNoStack,
  countLines,
  fetchAll,
  GREETING,
  needs,
  onePeer,
  startTool,
  udpPeer,
  waitUntil,
  writeAll,
} from "./_peers.ts";

const decoder = new TextDecoder();
const WAITING = "server: waiting for connections...";

// ---------------------------------------------------------------------------
// Resets

/**
 * Node.js: open TOTAL connections to 127.0.0.1:PORT, INFLIGHT at a time, and
 * reset each (RST, via SO_LINGER 0) — the even ones as soon as they connect,
 * before reading, the odd ones on their first data, while reading. Prints a
 * JSON summary.
 */
const RESETTER = `
const net = require("net");
const [port, total, inflight] = process.argv.slice(-3).map(Number);
let started = 0, done = 0;
const counts = { beforeReading: 0, whileReading: 0, errors: 0 };
function one() {
  if (started >= total) return;
  const i = started++;
  const socket = net.connect({ port, host: "127.0.0.1" });
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    if (++done === total) console.log(JSON.stringify({ done, ...counts }));
    else one();
  };
  socket.on("error", () => { counts.errors++; socket.destroy(); finish(); });
  socket.on("close", finish);
  if (i % 2 === 0) {
    socket.on("connect", () => { counts.beforeReading++; socket.resetAndDestroy(); });
  } else {
    socket.once("data", () => { counts.whileReading++; socket.resetAndDestroy(); });
  }
}
for (let k = 0; k < inflight; k++) one();
`;

Deno.test({
  name:
    "server survives 10,000 connections reset before or while reading, then serves a client",
  ignore: needs("node"),
  async fn(): Promise<void> {
    const { proc: server, port } = await startTool("server", [
      "-q",
      "-p",
      "0",
    ]);
    await using _server = server;
    await using resetter = new TestProcess("node", [
      "-e",
      RESETTER,
      `${port}`,
      "10000",
      "200",
    ]);
    assertStrictEquals(
      await resetter.exit("10,000 reset connections", 60_000),
      0,
      resetter.stderr.text,
    );
    const summary = JSON.parse(resetter.stdout.text);
    assertStrictEquals(summary.done, 10_000);
    assertStrictEquals(summary.beforeReading, 5_000);
    // A connection reset before it reads can also never see data; those
    // that did see data were reset while reading.
    assert(summary.whileReading > 0, resetter.stdout.text);

    assertEquals((await fetchAll(port)).data, bytes(GREETING));
    server.kill("SIGTERM");
    assertStrictEquals(await server.exit(), 0);
    assertNoStack(server.stderr.text, "server stderr");
    assertEquals(server.stdout.lines, [WAITING]);
    // Per-connection failures may be reported (perror("send") in the
    // reference); a peer's reset is never taken for a failure of accept.
    for (const line of server.stderr.lines.slice(1)) {
      assertMatch(line, /^send: [A-Z]/, line);
    }
  },
});

// ---------------------------------------------------------------------------
// File descriptors

Deno.test({
  name:
    "server with 64 descriptors and 300 held connections: reports once, greets them all, serves again",
  ignore: needs("bash"),
  async fn(): Promise<void> {
    await using server = new TestProcess("bash", [
      "-c",
      'ulimit -n 64 && exec "$@"',
      "bash",
      ...toolCommand("server"),
      "--port",
      "0",
      "--quiet",
    ]);
    const port = await listeningPort(server.stderr);
    await server.stdout.waitFor(/^server: waiting for connections\.\.\.$/);
    // Held open and not read until the server has run out.
    const held = await deadline(
      Promise.all(
        Array.from(
          { length: 300 },
          () => Deno.connect({ hostname: "127.0.0.1", port }),
        ),
      ),
      "300 connections",
    );
    let replies: ReadResult[];
    try {
      await server.stderr.waitFor(/^accept: /, "the accept failure");
    } finally {
      replies = await Promise.all(
        held.map((conn) => readToEnd(conn, { resetEnds: true })),
      );
    }
    for (const [i, reply] of replies.entries()) {
      assertStrictEquals(
        reply.error,
        undefined,
        `connection ${i}: ${reply.error}`,
      );
      assertStrictEquals(
        decoder.decode(reply.data),
        GREETING,
        `connection ${i}`,
      );
    }
    assertEquals((await fetchAll(port)).data, bytes(GREETING));
    server.kill("SIGTERM");
    assertStrictEquals(await server.exit(), 0);
    assertNoStack(server.stderr.text, "server stderr");
    const failures = server.stderr.lines.filter((l) => l.startsWith("accept:"));
    assertStrictEquals(failures.length, 1, server.stderr.text);
    assertMatch(failures[0]!, /^accept: Too many open files/);
    assertEquals(server.stderr.lines, [
      `server: listening on [::]:${port}`,
      failures[0],
    ]);
  },
});

// ---------------------------------------------------------------------------
// Signals under load

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name:
      `server stops on ${signal} under load: every accepted client got 13 bytes, exit 0 within 2 s`,
    ignore: NEEDS_SPAWN(),
    async fn(): Promise<void> {
      const { proc: server, port } = await startTool("server", ["-p", "0"]);
      await using _server = server;
      const TOTAL = 200;
      const results: { data: string; error?: string }[] = [];
      let attempts = 0;
      let refused = false;
      const loop = async (): Promise<void> => {
        while (attempts < TOTAL && !refused) {
          attempts++;
          let conn: Deno.Conn;
          try {
            conn = await deadline(
              Deno.connect({ hostname: "127.0.0.1", port }),
              "a connection",
            );
          } catch (error) {
            // Refused once the listener is closed (or reset mid-handshake).
            if (
              !(error instanceof Deno.errors.ConnectionRefused ||
                error instanceof Deno.errors.ConnectionReset)
            ) throw error;
            refused = true;
            return;
          }
          const reply = await readToEnd(conn, { resetEnds: true });
          results.push({
            data: decoder.decode(reply.data),
            error: reply.error ? String(reply.error) : undefined,
          });
        }
      };
      const loops = Promise.all(Array.from({ length: 10 }, loop));
      loops.catch(() => {}); // awaited below
      await waitUntil(() => results.length >= 50, "50 clients served");
      const signalled = performance.now();
      server.kill(signal);
      const code = await deadline(server.child.status, "the server to exit")
        .then((s) => s.code);
      const took = performance.now() - signalled;
      await loops;
      assertStrictEquals(await server.exit(), 0);
      assertStrictEquals(code, 0);
      assert(took < 2000, `exit took ${took.toFixed(0)} ms`);
      assertNoStack(server.stderr.text, "server stderr");

      const accepted = countLines(
        server.stdout,
        "server: got connection from 127.0.0.1",
      );
      const greeted = results.filter((r) => r.data === GREETING).length;
      // A client the server never accepted (still in the backlog when the
      // listener closed) is reset with nothing; no client got part of it.
      for (const r of results) {
        assert(
          r.data === GREETING || (r.data === "" && r.error !== undefined),
          JSON.stringify(r),
        );
      }
      assertStrictEquals(
        greeted,
        accepted,
        "every accepted client was greeted",
      );
      assert(greeted >= 50);
      assertStrictEquals(server.stdout.lines.length, 1 + accepted);
    },
  });
}

// ---------------------------------------------------------------------------
// client against faulty peers

Deno.test({
  name:
    "client -w 0.5 against a server that never closes: one clear line, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const peer = onePeer(async (conn) => {
      await writeAll(conn, bytes("partial"));
      await released;
    });
    const started = performance.now();
    const { code, stdout, stderr } = await runTool("client", [
      "-w",
      "0.5",
      "-p",
      `${peer.port}`,
      "127.0.0.1",
    ]);
    const took = performance.now() - started;
    release();
    await peer.done;
    assertStrictEquals(code, 1);
    assert(took < 5000, `took ${took.toFixed(0)} ms`);
    assertStrictEquals(
      stdout,
      "client: connecting to 127.0.0.1\nclient: received 'partial'\n",
    );
    assertNoStack(stderr);
    assertMatch(
      stderr,
      /^client: timed out: the server sent nothing for 0\.5 seconds and did not close the connection\n$/,
    );
  },
});

Deno.test({
  name:
    "client --max-bytes against a server that sends more: cut at that size, said, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const payload = new Uint8Array(200_000).fill(0x61);
    for (const raw of [false, true]) {
      const peer = onePeer(async (conn) => {
        await writeAll(conn, payload).catch(() => {});
        await conn.read(new Uint8Array(1)).catch(() => null);
      });
      const result = await runTool("client", [
        ...(raw ? ["--raw"] : []),
        "--max-bytes",
        "1000",
        "-p",
        `${peer.port}`,
        "127.0.0.1",
      ]);
      await peer.done;
      assertStrictEquals(result.code, 1);
      assertNoStack(result.stderr);
      const cut =
        "client: output cut at 1000 bytes: the server sent more (--max-bytes)\n";
      if (raw) {
        assertEquals(result.bytes, payload.subarray(0, 1000));
        assertStrictEquals(
          result.stderr,
          `client: connecting to 127.0.0.1\nclient: received 1000 bytes\n${cut}`,
        );
      } else {
        assertStrictEquals(
          result.stdout,
          `client: connecting to 127.0.0.1\nclient: received '${
            "a".repeat(1000)
          }'\n`,
        );
        assertStrictEquals(result.stderr, cut);
      }
    }
  },
});

Deno.test({
  name:
    "client to a refused port: 'connect: Connection refused', 'failed to connect', exit 2",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { code, stdout, stderr } = await runTool("client", [
      "-p",
      `${freeTcpPort()}`,
      "127.0.0.1",
    ]);
    assertStrictEquals(code, 2);
    assertStrictEquals(stdout, "");
    assertStrictEquals(
      stderr,
      "client: connect: Connection refused\nclient: failed to connect\n",
    );
  },
});

Deno.test({
  name: "client to a name that does not resolve: 'getaddrinfo: ...', exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { code, stdout, stderr } = await runTool("client", [
      "nonexistent.invalid",
    ]);
    assertStrictEquals(code, 1);
    assertStrictEquals(stdout, "");
    assertMatch(stderr, /^getaddrinfo: [A-Z][^\n]+\n$/);
  },
});

// ---------------------------------------------------------------------------
// Addresses in use

Deno.test({
  name: "server on a port in use: 'bind: Address already in use', exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using v4 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const one = await runTool("server", [
      "-b",
      "127.0.0.1",
      "-p",
      `${(v4.addr as Deno.NetAddr).port}`,
    ]);
    assertStrictEquals(one.code, 1);
    assertStrictEquals(one.stdout, "");
    assertStrictEquals(
      one.stderr,
      "server: bind: Address already in use\nserver: failed to bind\n",
    );

    // Dual-stack: `::` is taken, and with it `0.0.0.0`; each try is reported.
    using any = Deno.listen({ hostname: HAS_IPV6 ? "::" : "0.0.0.0", port: 0 });
    const both = await runTool("server", [
      "-p",
      `${(any.addr as Deno.NetAddr).port}`,
    ]);
    assertStrictEquals(both.code, 1);
    assertStrictEquals(both.stdout, "");
    const lines = both.stderr.split("\n").slice(0, -1);
    assert(lines.length >= 2, both.stderr);
    assertStrictEquals(lines.at(-1), "server: failed to bind");
    for (const line of lines.slice(0, -1)) {
      assertStrictEquals(line, "server: bind: Address already in use");
    }
  },
});

Deno.test({
  name:
    "listener on a port in use: 'bind: Address already in use', 'failed to bind socket', exit 2",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using taken = udpPeer();
    const port = (taken.addr as Deno.NetAddr).port;
    const one = await runTool("listener", ["-b", "127.0.0.1", "-p", `${port}`]);
    assertStrictEquals(one.code, 2);
    assertStrictEquals(one.stdout, "");
    assertStrictEquals(
      one.stderr,
      "listener: bind: Address already in use\nlistener: failed to bind socket\n",
    );

    using any = udpPeer(HAS_IPV6 ? "::" : "0.0.0.0");
    const both = await runTool("listener", [
      "-p",
      `${(any.addr as Deno.NetAddr).port}`,
    ]);
    assertStrictEquals(both.code, 2);
    assertStrictEquals(both.stdout, "");
    const lines = both.stderr.split("\n").slice(0, -1);
    assertStrictEquals(lines.at(-1), "listener: failed to bind socket");
    for (const line of lines.slice(0, -1)) {
      assertStrictEquals(line, "listener: bind: Address already in use");
    }
  },
});

// ---------------------------------------------------------------------------
// 10,000 datagrams

Deno.test({
  name: "listener --count 10000 prints exactly 10,000 datagrams, none cut",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const COUNT = 10_000;
    const BATCH = 50;
    const { proc: listener, port } = await startTool("listener", [
      "-b",
      "127.0.0.1",
      "--count",
      `${COUNT}`,
      "-p",
      "0",
    ]);
    await using _listener = listener;
    const payload = (i: number): string => {
      const head = `#${i}:`;
      const size = 16 + (i * 37) % 1400;
      return head + "abcdefghijklmnopqrstuvwxyz".repeat(60).slice(
        0,
        size - head.length,
      );
    };
    // Count "packet is" lines as they come; pace the sender on them so the
    // socket buffer never holds more than a batch.
    let scanned = 0;
    let printed = 0;
    const count = (): number => {
      const text = listener.stdout.text;
      for (
        let at = text.indexOf("listener: packet is ", scanned);
        at !== -1;
        at = text.indexOf("listener: packet is ", scanned)
      ) {
        printed++;
        scanned = at + 1;
      }
      return printed;
    };
    using socket = udpPeer();
    const target = { transport: "udp" as const, hostname: "127.0.0.1", port };
    const started = performance.now();
    for (let sent = 0; sent < COUNT;) {
      for (const end = Math.min(sent + BATCH, COUNT); sent < end; sent++) {
        await socket.send(bytes(payload(sent)), target);
      }
      const want = sent;
      await waitUntil(() => count() >= want, `${want} datagrams printed`);
    }
    assertStrictEquals(await listener.exit(), 0);
    const took = performance.now() - started;
    assert(took < 20_000, `took ${took.toFixed(0)} ms`);
    const lines = listener.stdout.lines;
    assertStrictEquals(lines.length, 1 + 3 * COUNT);
    for (let i = 0; i < COUNT; i++) {
      const data = payload(i);
      const at = 1 + 3 * i;
      assertStrictEquals(
        lines[at],
        "listener: got packet from 127.0.0.1",
        `#${i}`,
      );
      assertStrictEquals(
        lines[at + 1],
        `listener: packet is ${data.length} bytes long`,
      );
      assertStrictEquals(lines[at + 2], `listener: packet contains "${data}"`);
    }
    assertEquals(listener.stderr.lines, [
      `listener: listening on 127.0.0.1:${port}`,
    ]);
  },
});
