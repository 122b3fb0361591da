/**
 * End-to-end tests of `server` (cmd/server.ts): Beej's stream server line for
 * line by default, and each option beyond it. Most tests run `main()` in
 * process; those that need a real process (signals, the `import.meta.main`
 * path, a lowered file limit) spawn it and are ignored without
 * `--allow-run --allow-read --allow-env`.
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
  assertNoStack,
  CAN_SPAWN,
  type Capture,
  deadline,
  freeTcpPort,
  ignoreUnless,
  type InProcess,
  listeningPort,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  readToEnd,
  refusedLine,
  runInProcess,
  runTool,
  TestProcess,
  VERSION,
  waitUntil,
} from "./_util.ts";

const WAITING = "server: waiting for connections...";
const GREETING = "Hello, world!";
const decoder = new TextDecoder();

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

/** Connect, read until the server closes, and return every byte. */
async function fetchGreeting(
  port: number,
  hostname = "127.0.0.1",
): Promise<Uint8Array> {
  const conn = await deadline(
    Deno.connect({ hostname, port }),
    `a connection to ${hostname}:${port}`,
  );
  return (await readToEnd(conn)).data;
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

/** How many lines of `capture` are exactly `line`. */
function count(capture: Capture, line: string): number {
  return capture.lines.filter((l) => l === line).length;
}

/** Assert a spawned tool's stderr holds no uncaught error or stack trace. */
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

/** Bad command lines, each with the one line it must print. */
const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus"], /^server: unknown option "--bogus"$/],
  [["-z"], /^server: unknown option "-z"$/],
  [["-p"], /^server: option "-p" needs a value$/],
  [["--port"], /^server: option "--port" needs a value$/],
  [["-p", "65536"], /^server: invalid port "65536": must be 0-65535$/],
  [["-p", "-1"], /^server: invalid port "-1"/],
  [["-p", "3490x"], /^server: invalid port "3490x"/],
  [["-p", ""], /^server: invalid port ""/],
  [["--max-connections", "0"], /^server: invalid max-connections "0"/],
  [["--max-connections", "many"], /^server: invalid max-connections "many"/],
  [["-4", "-6"], /^server: options "-4" and "-6" cannot be used together$/],
  [["extra"], /^server: unexpected argument "extra"$/],
  [["-b", ""], /^server: invalid bind address: empty$/],
  // -b is checked as client and talker check a host, one escaped line.
  [["-b", "a b"], /^server: invalid host "a b": not a host name$/],
  [
    ["-b", "1.2.3.4:5"],
    /^server: invalid host "1\.2\.3\.4:5": not a name or address; give the port with --port$/,
  ],
  [["-b", "::1%"], /^server: invalid host "::1%": not a name or address/],
  [["-b", "*"], /^server: invalid host "\*": not a host name$/],
  [["-b", "a\nb"], /^server: invalid host "a\\nb": not a host name$/],
  [
    ["-b", "\x1b[31mred"],
    /^server: invalid host "\\x1b\[31mred": not a host name$/,
  ],
  [["--json=yes"], /^server: option "--json" takes no value$/],
  [["--deny", "10.0.0.0/99"], /^server: /],
  [["--workers", "0"], /^server: invalid workers "0": must be 1-64$/],
  [["--workers", "65"], /^server: invalid workers "65": must be 1-64$/],
  // -m $'\xff\xfe' as Deno gives it (lossily decoded): refused, not rewritten.
  [
    ["-m", "\uFFFD\uFFFD"],
    /^server: option "--message" is not valid UTF-8 \(or contains U\+FFFD\): Deno cannot pass its bytes on from the command line; give UTF-8 text$/,
  ],
];

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
