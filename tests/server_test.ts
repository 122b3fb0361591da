/**
 * End-to-end tests of `server` (cmd/server.ts): Beej's stream server line for
 * line by default, and each option beyond it, with `main()` run in process.
 * The tests that need a real process (signals, the `import.meta.main` path, a
 * lowered file limit, `--workers`) are in tests/server_process_test.ts.
 *
 * @module
 */

import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { main } from "../cmd/server.ts";
import { parseServer } from "../cmd/_server.ts";
import {
  deadline,
  freeTcpPort,
  type InProcess,
  listeningPort,
  NEEDS_IPV6,
  readToEnd,
  refusedLine,
  runInProcess,
  VERSION,
  waitUntil,
} from "./_util.ts";
import {
  BAD_INPUT,
  count,
  decoder,
  fetchGreeting,
  GREETING,
  WAITING,
} from "./_server.ts";

/** Start the server in process; resolve once it says where it listens. */
async function start(args: string[]): Promise<InProcess & { port: number }> {
  const run = runInProcess(main, args);
  const port = await Promise.race([
    listeningPort(run.stderr),
    run.code.then((code) => {
      throw new Error(
        `server exited ${code} before listening: ${run.stderr.text}`,
      );
    }),
  ]);
  return { ...run, port };
}

/** Stop an in-process server as SIGINT would; its exit code. */
async function stop(run: InProcess): Promise<number> {
  run.controller.abort();
  return await deadline(run.code, "the server to stop");
}

/**
 * Assert that a connection to `port` is not served: refused, reset, or
 * closed without a byte.
 */
async function assertNotServed(port: number): Promise<void> {
  let conn: Deno.Conn;
  try {
    conn = await deadline(
      Deno.connect({ hostname: "127.0.0.1", port }),
      "a connection attempt",
    );
  } catch (error) {
    if (
      error instanceof Deno.errors.ConnectionRefused ||
      error instanceof Deno.errors.ConnectionReset
    ) return;
    throw error;
  }
  try {
    assertStrictEquals((await readToEnd(conn)).data.length, 0);
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
  }
}

// ---------------------------------------------------------------------------
// Default behaviour

Deno.test("server prints the waiting line, and its port when -p is 0", async () => {
  const run = await start(["-p", "0"]);
  await run.stdout.waitFor(/^server: waiting/);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [WAITING]);
  assertStrictEquals(run.stdout.text, WAITING + "\n");
  assertEquals(run.stderr.lines, [`server: listening on [::]:${run.port}`]);
});

Deno.test("server greets an IPv4 client with exactly 13 bytes, then closes", async () => {
  const run = await start(["-p", "0"]);
  const data = await fetchGreeting(run.port, "127.0.0.1");
  assertStrictEquals(data.length, 13);
  assertStrictEquals(decoder.decode(data), GREETING);
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
  // The IPv4 peer reached the dual-stack socket as ::ffff:127.0.0.1.
  assertEquals(run.stdout.lines, [
    WAITING,
    "server: got connection from 127.0.0.1",
  ]);
  assertEquals(run.stderr.lines, [`server: listening on [::]:${run.port}`]);
});

Deno.test({
  name: "server serves ::1 and 127.0.0.1 on one port (dual-stack)",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-p", "0"]);
    assertStrictEquals(
      decoder.decode(await fetchGreeting(run.port, "::1")),
      GREETING,
    );
    await run.stdout.waitFor(/from ::1$/);
    assertStrictEquals(
      decoder.decode(await fetchGreeting(run.port, "127.0.0.1")),
      GREETING,
    );
    await run.stdout.waitFor(/from 127\.0\.0\.1$/);
    assertStrictEquals(await stop(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      "server: got connection from ::1",
      "server: got connection from 127.0.0.1",
    ]);
  },
});

Deno.test({
  name: "server listens on port 3490 by default",
  // The net permission is narrowed so that the default port shows in the
  // permission error: the test never binds 3490 itself.
  permissions: { net: ["127.0.0.1:1"] },
  async fn(): Promise<void> {
    const run = runInProcess(main, []);
    assertStrictEquals(await deadline(run.code, "the server to exit"), 1);
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.lines.length, 1);
    assertMatch(
      run.stderr.lines[0]!,
      /^server: permission denied: .*:3490".*--allow-net/,
    );
  },
});

Deno.test("server reports each failed bind, then 'failed to bind', exit 1", async () => {
  // "::" is dual-stack here, so this takes the port in both families.
  using taken = Deno.listen({ hostname: "::", port: 0 });
  const { port } = taken.addr as Deno.NetAddr;
  const run = runInProcess(main, ["-p", `${port}`]);
  assertStrictEquals(await deadline(run.code, "the server to exit"), 1);
  assertStrictEquals(run.stdout.text, "");
  // "::" fails, then the IPv4 fallback 0.0.0.0 fails too.
  assertEquals(run.stderr.lines, [
    "server: bind: Address already in use",
    "server: bind: Address already in use",
    "server: failed to bind",
  ]);
});

Deno.test("server -b 127.0.0.1 on a port in use: one bind line, exit 1", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = taken.addr as Deno.NetAddr;
  const run = runInProcess(main, ["-b", "127.0.0.1", "-p", `${port}`]);
  assertStrictEquals(await deadline(run.code, "the server to exit"), 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "server: bind: Address already in use",
    "server: failed to bind",
  ]);
});

// ---------------------------------------------------------------------------
// Options

Deno.test("server -v names the bound address for a non-zero port, and says it stopped", async () => {
  const port = freeTcpPort();
  const run = await start(["-v", "-p", `${port}`]);
  assertStrictEquals(run.port, port);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [WAITING]);
  assertEquals(run.stderr.lines, [
    `server: listening on [::]:${port}`,
    "server: stopped",
  ]);
});

Deno.test("server without -v prints nothing on stderr for a non-zero port", async () => {
  const port = freeTcpPort();
  const run = runInProcess(main, ["-p", `${port}`]);
  await run.stdout.waitFor(/^server: waiting/);
  assertStrictEquals(decoder.decode(await fetchGreeting(port)), GREETING);
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
  assertStrictEquals(run.stderr.text, "");
  assertEquals(run.stdout.lines, [
    WAITING,
    "server: got connection from 127.0.0.1",
  ]);
});

Deno.test("server -v -p 0 prints the listening line once", async () => {
  const run = await start(["-v", "-p", "0"]);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stderr.lines, [
    `server: listening on [::]:${run.port}`,
    "server: stopped",
  ]);
});

Deno.test("server -b 127.0.0.1 listens there only", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0"]);
  assertEquals(run.stderr.lines, [
    `server: listening on 127.0.0.1:${run.port}`,
  ]);
  assertStrictEquals(decoder.decode(await fetchGreeting(run.port)), GREETING);
  if (!NEEDS_IPV6()) {
    await assertRejects(
      () => Deno.connect({ hostname: "::1", port: run.port }),
      Deno.errors.ConnectionRefused,
    );
  }
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    "server: got connection from 127.0.0.1",
  ]);
});

Deno.test({
  name: "server --bind ::1 listens on [::1]",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["--bind", "::1", "--port", "0"]);
    assertEquals(run.stderr.lines, [
      `server: listening on [::1]:${run.port}`,
    ]);
    assertStrictEquals(
      decoder.decode(await fetchGreeting(run.port, "::1")),
      GREETING,
    );
    await assertRejects(
      () => Deno.connect({ hostname: "127.0.0.1", port: run.port }),
      Deno.errors.ConnectionRefused,
    );
    await run.stdout.waitFor(/got connection/);
    assertStrictEquals(await stop(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      "server: got connection from ::1",
    ]);
  },
});

Deno.test("server -4 listens on 0.0.0.0 and serves IPv4", async () => {
  const run = await start(["-4", "-p", "0"]);
  assertEquals(run.stderr.lines, [
    `server: listening on 0.0.0.0:${run.port}`,
  ]);
  assertStrictEquals(decoder.decode(await fetchGreeting(run.port)), GREETING);
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    "server: got connection from 127.0.0.1",
  ]);
});

Deno.test({
  name: "server -4 refuses an IPv6 client",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-4", "-p", "0"]);
    await assertRejects(
      () => Deno.connect({ hostname: "::1", port: run.port }),
      Deno.errors.ConnectionRefused,
    );
    assertStrictEquals(await stop(run), 0);
    assertEquals(run.stdout.lines, [WAITING]);
  },
});

Deno.test({
  name: "server -6 greets ::1 and closes an IPv4 client without a greeting",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const run = await start(["-6", "-p", "0"]);
    assertEquals(run.stderr.lines, [
      `server: listening on [::]:${run.port}`,
    ]);
    // The IPv4 client reaches the dual-stack socket and is closed unsent.
    const conn = await deadline(
      Deno.connect({ hostname: "127.0.0.1", port: run.port }),
      "an IPv4 connection",
    );
    let received: Uint8Array | "reset";
    try {
      received = (await readToEnd(conn)).data;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
      received = "reset";
    }
    if (received !== "reset") assertStrictEquals(received.length, 0);
    assertStrictEquals(
      decoder.decode(await fetchGreeting(run.port, "::1")),
      GREETING,
    );
    await run.stdout.waitFor(/got connection/);
    assertStrictEquals(await stop(run), 0);
    assertEquals(run.stdout.lines, [
      WAITING,
      "server: got connection from ::1",
    ]);
  },
});

Deno.test("server -m sends the message instead, byte for byte", async () => {
  const message = "Bonjour, le monde ! \u00e9\u00e8\n\ttabs";
  const run = await start(["-m", message, "-p", "0"]);
  const data = await fetchGreeting(run.port);
  assertEquals(data, new TextEncoder().encode(message));
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
});

Deno.test("server --message=TEXT is the long form of -m", async () => {
  const run = await start(["--message=hi", "-p", "0"]);
  assertStrictEquals(decoder.decode(await fetchGreeting(run.port)), "hi");
  await run.stdout.waitFor(/got connection/);
  assertStrictEquals(await stop(run), 0);
});

Deno.test("server greets 100 concurrent clients", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0"]);
  const conns = await deadline(
    Promise.all(
      Array.from(
        { length: 100 },
        () => Deno.connect({ hostname: "127.0.0.1", port: run.port }),
      ),
    ),
    "100 connections",
  );
  const replies = await Promise.all(conns.map((conn) => readToEnd(conn)));
  for (const reply of replies) {
    assertStrictEquals(decoder.decode(reply.data), GREETING);
  }
  await waitUntil(
    () => count(run.stdout, "server: got connection from 127.0.0.1") === 100,
    "100 connection lines",
  );
  assertStrictEquals(await stop(run), 0);
  assertStrictEquals(run.stdout.lines.length, 101);
});

/** A message too large for the socket buffers, so a client that does not read keeps its connection in flight. */
const LARGE = "x".repeat(16 * 1024 * 1024);

Deno.test("server without --max-connections serves clients that do not read at once", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0", "-m", LARGE]);
  const conns = await Promise.all(
    [1, 2, 3].map(() =>
      deadline(
        Deno.connect({ hostname: "127.0.0.1", port: run.port }),
        "a connection",
      )
    ),
  );
  await waitUntil(
    () => count(run.stdout, "server: got connection from 127.0.0.1") === 3,
    "3 connection lines",
  );
  for (const reply of await Promise.all(conns.map((conn) => readToEnd(conn)))) {
    assertStrictEquals(reply.data.length, LARGE.length);
  }
  assertStrictEquals(await stop(run), 0);
});

Deno.test("server --max-connections 2 has at most 2 in flight and drops none", async () => {
  const run = await start([
    "-b",
    "127.0.0.1",
    "-p",
    "0",
    "--max-connections",
    "2",
    "-m",
    LARGE,
  ]);
  const line = "server: got connection from 127.0.0.1";
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < 3; i++) {
    conns.push(
      await deadline(
        Deno.connect({ hostname: "127.0.0.1", port: run.port }),
        "a connection",
      ),
    );
  }
  await waitUntil(() => count(run.stdout, line) === 2, "2 connection lines");
  // Two greetings are stuck on clients that do not read: the third waits
  // (shown in the trace's order by tests/max_connections_test.ts).
  const first = (await readToEnd(conns[0]!)).data;
  assertStrictEquals(first.length, LARGE.length);
  await waitUntil(() => count(run.stdout, line) === 3, "the third connection");
  const rest = await Promise.all(conns.slice(1).map((conn) => readToEnd(conn)));
  for (const reply of rest) assertStrictEquals(reply.data.length, LARGE.length);
  assertStrictEquals(await stop(run), 0);
  assertStrictEquals(run.stderr.lines.length, 1); // the listening line only
});

Deno.test("server stops accepting when stopped, and finishes the connection in flight", async () => {
  const run = await start(["-b", "127.0.0.1", "-p", "0", "-m", LARGE]);
  const conn = await deadline(
    Deno.connect({ hostname: "127.0.0.1", port: run.port }),
    "a connection",
  );
  await run.stdout.waitFor(/got connection/);
  run.controller.abort();
  // The listener closes at once; the greeting in flight goes on.
  await assertNotServed(run.port);
  const data = (await readToEnd(conn)).data;
  assertStrictEquals(data.length, LARGE.length);
  assertStrictEquals(await deadline(run.code, "the server to stop"), 0);
  assertEquals(run.stdout.lines, [
    WAITING,
    "server: got connection from 127.0.0.1",
  ]);
});

Deno.test("server --json emits a listening event and a connection event per client", async () => {
  const run = await start(["--json", "-p", "0"]);
  const conn = await deadline(
    Deno.connect({ hostname: "127.0.0.1", port: run.port }),
    "a connection",
  );
  const clientPort = (conn.localAddr as Deno.NetAddr).port;
  assertStrictEquals(decoder.decode((await readToEnd(conn)).data), GREETING);
  await run.stdout.waitFor(/"connection"/);
  assertStrictEquals(await stop(run), 0);
  const events = run.stdout.lines.map((line) => JSON.parse(line));
  assertEquals(events, [
    { event: "listening", address: "::", port: run.port },
    { event: "connection", address: "127.0.0.1", port: clientPort },
  ]);
  assertEquals(run.stderr.lines, [`server: listening on [::]:${run.port}`]);
});

Deno.test("server -q prints no connection lines", async () => {
  const run = await start(["-q", "-p", "0"]);
  assertStrictEquals(decoder.decode(await fetchGreeting(run.port)), GREETING);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [WAITING]);
});

Deno.test("server --deny closes a denied peer unsent; -v says so", async () => {
  const run = await start(["-v", "--deny", "127.0.0.0/8", "-p", "0"]);
  const data = await fetchGreeting(run.port).catch((error) => {
    if (error instanceof Deno.errors.ConnectionReset) return new Uint8Array();
    throw error;
  });
  assertStrictEquals(data.length, 0);
  await run.stderr.waitFor(/refused connection/);
  assertStrictEquals(await stop(run), 0);
  assertEquals(run.stdout.lines, [WAITING]);
  assertEquals(run.stderr.lines, [
    `server: listening on [::]:${run.port}`,
    "server: refused connection from 127.0.0.1",
    "server: stopped",
  ]);
});

Deno.test("server -h prints usage on stdout, exit 0", async () => {
  for (const flag of ["-h", "--help"]) {
    const run = runInProcess(main, [flag]);
    assertStrictEquals(await run.code, 0);
    assertMatch(run.stdout.lines[0]!, /^usage: server/);
    assertMatch(run.stdout.text, /--max-connections/);
    assertStrictEquals(run.stderr.text, "");
  }
});

Deno.test("server -V prints one version line, exit 0", async () => {
  for (const flag of ["-V", "--version"]) {
    const run = runInProcess(main, [flag]);
    assertStrictEquals(await run.code, 0);
    assertEquals(run.stdout.lines, [
      `server (beejnet) ${VERSION} (deno ${Deno.version.deno})`,
    ]);
    assertStrictEquals(run.stderr.text, "");
  }
});

Deno.test("parseServer() refuses bad input, each with the one line to print", () => {
  for (const [args, expected] of BAD_INPUT) {
    const what = `server ${JSON.stringify(args)}`;
    assertMatch(refusedLine("server", parseServer, args), expected, what);
  }
});

Deno.test("server -b with a name that does not resolve: getaddrinfo line, exit 1", async () => {
  const run = runInProcess(main, ["-b", "nonexistent.invalid", "-p", "0"]);
  assertStrictEquals(await deadline(run.code, "the server to exit"), 1);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "getaddrinfo: Name or service not known",
  ]);
});
