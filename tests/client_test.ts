/**
 * End-to-end tests of `client` (cmd/client.ts): Beej's stream client line for
 * line by default, and each option beyond it. The peers are `server` run in
 * process or small `Deno.listen` peers written here; tests that need a real
 * process spawn the client and are ignored without
 * `--allow-run --allow-read --allow-env`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { concat } from "@std/bytes/concat";
import { lookup } from "node:dns/promises";
import { main } from "../cmd/client.ts";
import { parseClient } from "../cmd/_client.ts";
import { main as serverMain } from "../cmd/server.ts";
import {
  assertNoStack,
  assertOneLineFailure,
  bytes,
  deadline,
  freeTcpPort,
  ignoreUnless,
  type InProcess,
  listeningPort,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  refusedLine,
  runInProcess,
  runTool,
  VERSION,
} from "./_util.ts";
import { onePeer as peer, type TestPeer as Peer } from "./_peers.ts";

/** The addresses `localhost` resolves to here, in resolver order. */
const LOCALHOST: string[] = (await lookup("localhost", {
  all: true,
  verbatim: true,
})).map((a) => a.address);

/** A peer that sends each chunk in turn, a little apart, then closes. */
function sender(chunks: Uint8Array[], hostname = "127.0.0.1"): Peer {
  return peer(async (conn) => {
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 30));
      await writeAll(conn, chunk);
    }
  }, hostname);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let sent = 0; sent < data.length;) {
    sent += await conn.write(data.subarray(sent));
  }
}

/** Run the client to its end; its exit code and output. */
async function client(
  args: string[],
): Promise<{ code: number; run: InProcess }> {
  const run = runInProcess(main, args);
  const code = await deadline(run.code, `client ${args.join(" ")}`);
  return { code, run };
}

/** Assert a spawned tool's stderr holds no uncaught error or stack trace. */
// ---------------------------------------------------------------------------
// Default behaviour

Deno.test("client receives the greeting of our server, exit 0", async () => {
  const server = runInProcess(serverMain, ["-b", "127.0.0.1", "-p", "0"]);
  const port = await listeningPort(server.stderr);
  const { code, run } = await client(["-p", `${port}`, "127.0.0.1"]);
  server.controller.abort();
  assertStrictEquals(await deadline(server.code, "the server to stop"), 0);
  assertStrictEquals(code, 0);
  assertStrictEquals(
    run.stdout.text,
    "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
  );
  assertStrictEquals(run.stderr.text, "");
});

Deno.test({
  name: "client connects to port 3490 by default",
  // The net permission is narrowed so that the port shows in the permission
  // error: nothing is ever connected to 3490.
  permissions: { net: ["127.0.0.1:1"] },
  async fn(): Promise<void> {
    const { code, run } = await client(["127.0.0.1"]);
    assertStrictEquals(code, 1);
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.lines.length, 1);
    assertMatch(
      run.stderr.lines[0]!,
      /^client: permission denied: .*"127\.0\.0\.1:3490".*--allow-net/,
    );
  },
});

Deno.test("client with a wrong argument count prints the usage line, exit 1", async () => {
  for (const args of [[], ["127.0.0.1", "extra"], ["a", "b", "c"]]) {
    const { code, run } = await client(args);
    assertStrictEquals(code, 1, JSON.stringify(args));
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.text, "usage: client hostname\n");
  }
});

Deno.test("client with a name that does not resolve: getaddrinfo line, exit 1", async () => {
  const { code, run } = await client(["nonexistent.invalid"]);
  assertStrictEquals(code, 1);
  assertStrictEquals(run.stdout.text, "");
  assertStrictEquals(
    run.stderr.text,
    "getaddrinfo: Name or service not known\n",
  );
});

Deno.test("client refused: connect line, then 'failed to connect', exit 2", async () => {
  const { code, run } = await client(["-p", `${freeTcpPort()}`, "127.0.0.1"]);
  assertStrictEquals(code, 2);
  assertStrictEquals(run.stdout.text, "");
  assertEquals(run.stderr.lines, [
    "client: connect: Connection refused",
    "client: failed to connect",
  ]);
});

Deno.test({
  name: "client tries every address of a name, reporting each refusal",
  ignore: ignoreUnless(
    LOCALHOST.length > 1,
    `localhost has one address here (${LOCALHOST.join(", ")}): ` +
      "trying several is left to the happy_eyeballs tests",
  ),
  async fn(): Promise<void> {
    const { code, run } = await client(["-p", `${freeTcpPort()}`, "localhost"]);
    assertStrictEquals(code, 2);
    assertEquals(run.stderr.lines, [
      ...LOCALHOST.map(() => "client: connect: Connection refused"),
      "client: failed to connect",
    ]);
  },
});

Deno.test("client reads until the server closes: 300 bytes in 3 writes", async () => {
  const text = "a".repeat(100) + "b".repeat(100) + "c".repeat(100);
  const server = sender([
    bytes(text.slice(0, 100)),
    bytes(text.slice(100, 200)),
    bytes(text.slice(200)),
  ]);
  const { code, run } = await client(["-p", `${server.port}`, "127.0.0.1"]);
  await server.done;
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    `client: received '${text}'`,
  ]);
  assertStrictEquals(run.stderr.text, "");
});

Deno.test("client escapes control bytes, invalid UTF-8 and backslashes", async () => {
  const data = new Uint8Array([
    ...bytes("a\x1b[31mb\nc\\d\t\r"),
    0xff,
    0x00,
    0x7f,
    ...bytes("\u00e9\u202e"),
  ]);
  const server = sender([data]);
  const { code, run } = await client(["-p", `${server.port}`, "127.0.0.1"]);
  await server.done;
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    "client: received 'a\\x1b[31mb\\nc\\\\d\\t\\r\\xff\\x00\\x7f\u00e9\\u{202e}'",
  ]);
  assert(!run.stdout.text.includes("\x1b"), "ESC reached stdout");
});

// ---------------------------------------------------------------------------
// Options

Deno.test("client --max-bytes 10 cuts 20 bytes at 10 and says so, exit 1", async () => {
  const server = peer(async (conn) => {
    await writeAll(conn, bytes("0123456789abcdefghij"));
    // Hold the connection open until the client gives up on it.
    await conn.read(new Uint8Array(1)).catch(() => null);
  });
  const { code, run } = await client([
    "--max-bytes",
    "10",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  await server.done;
  assertStrictEquals(code, 1);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    "client: received '0123456789'",
  ]);
  assertEquals(run.stderr.lines, [
    "client: output cut at 10 bytes: the server sent more (--max-bytes)",
  ]);
});

Deno.test("client reads at most 1 MiB by default", async () => {
  const server = peer(async (conn) => {
    await writeAll(conn, new Uint8Array(1_048_577).fill(0x61));
    await conn.read(new Uint8Array(1)).catch(() => null);
  });
  const { code, run } = await client(["-p", `${server.port}`, "127.0.0.1"]);
  await server.done;
  assertStrictEquals(code, 1);
  assertStrictEquals(
    run.stdout.lines[1],
    `client: received '${"a".repeat(1_048_576)}'`,
  );
  assertEquals(run.stderr.lines, [
    "client: output cut at 1048576 bytes: the server sent more (--max-bytes)",
  ]);
});

Deno.test("client -w 0.3 gives up on a silent server quickly, exit 1", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const server = peer(() => released);
  const started = performance.now();
  const { code, run } = await client([
    "-w",
    "0.3",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  const elapsed = performance.now() - started;
  release();
  await server.done;
  assertStrictEquals(code, 1);
  assert(elapsed >= 250 && elapsed < 3000, `took ${elapsed} ms`);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    "client: received ''",
  ]);
  assertEquals(run.stderr.lines, [
    "client: timed out: the server sent nothing for 0.3 seconds and did not close the connection",
  ]);
});

Deno.test("client --timeout bounds the connect: a full backlog times out, exit 2", async () => {
  // A listener that never accepts: once its backlog is full, the kernel
  // drops further SYNs and a connect hangs.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const queued: Deno.Conn[] = [];
  try {
    while (true) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 200);
      try {
        queued.push(
          await Deno.connect({
            hostname: "127.0.0.1",
            port,
            signal: controller.signal,
          }),
        );
      } catch (error) {
        if (controller.signal.aborted) break;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      assert(queued.length < 10_000, "the backlog never filled");
    }
    const started = performance.now();
    const { code, run } = await client([
      "--timeout",
      "0.3",
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    const elapsed = performance.now() - started;
    assertStrictEquals(code, 2);
    assert(elapsed < 3000, `took ${elapsed} ms`);
    assertStrictEquals(run.stdout.text, "");
    assertEquals(run.stderr.lines, [
      "client: connect: Connection timed out",
      "client: failed to connect",
    ]);
  } finally {
    for (const conn of queued) conn.close();
  }
});

Deno.test("client --raw writes exactly the payload to stdout, status to stderr", async () => {
  const payload = new Uint8Array([0x00, 0xff, 0x1b, 0x5b, 0x0a, 0x41, 0x5c]);
  const server = sender([payload.subarray(0, 3), payload.subarray(3)]);
  const { code, run } = await client([
    "--raw",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  await server.done;
  assertStrictEquals(code, 0);
  assertEquals(concat(run.stdout.bytes), payload);
  assertEquals(run.stderr.lines, [
    "client: connecting to 127.0.0.1",
    "client: received 7 bytes",
  ]);
});

Deno.test("client --json emits connection and received events (text)", async () => {
  const server = sender([bytes("hi \u00e9\n")]);
  const { code, run } = await client([
    "--json",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  await server.done;
  assertStrictEquals(code, 0);
  assertStrictEquals(run.stderr.text, "");
  assertEquals(run.stdout.lines.map((line) => JSON.parse(line)), [
    { event: "connection", address: "127.0.0.1", port: server.port },
    { event: "received", bytes: 6, text: "hi \u00e9\n", truncated: false },
  ]);
});

Deno.test("client --json carries binary data as base64", async () => {
  const server = sender([new Uint8Array([0xff, 0x00, 0x1b])]);
  const { code, run } = await client([
    "--json",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  await server.done;
  assertStrictEquals(code, 0);
  const events = run.stdout.lines.map((line) => JSON.parse(line));
  assertEquals(events[1], {
    event: "received",
    bytes: 3,
    base64: "/wAb",
    truncated: false,
  });
  assert(!run.stdout.text.includes("\x1b"), "ESC reached stdout");
});

Deno.test("client --json reports a refusal as an error event", async () => {
  const { code, run } = await client([
    "--json",
    "-p",
    `${freeTcpPort()}`,
    "127.0.0.1",
  ]);
  assertStrictEquals(code, 2);
  assertEquals(run.stdout.lines.map((line) => JSON.parse(line)), [
    { event: "error", context: "connect", message: "Connection refused" },
  ]);
  assertEquals(run.stderr.lines, [
    "client: connect: Connection refused",
    "client: failed to connect",
  ]);
});

Deno.test("client -4 localhost connects over IPv4", async () => {
  const server = sender([bytes("v4")]);
  const { code, run } = await client([
    "-4",
    "-p",
    `${server.port}`,
    "localhost",
  ]);
  await server.done;
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    "client: received 'v4'",
  ]);
});

Deno.test({
  name:
    "client -6 localhost: no IPv6 address for the name, getaddrinfo line, exit 1",
  ignore: ignoreUnless(
    !LOCALHOST.some((a) => a.includes(":")),
    "localhost has an IPv6 address here",
  ),
  async fn(): Promise<void> {
    const { code, run } = await client(["-6", "localhost"]);
    assertStrictEquals(code, 1);
    assertStrictEquals(run.stdout.text, "");
    assertStrictEquals(run.stderr.lines.length, 1);
    assertMatch(run.stderr.lines[0]!, /^getaddrinfo: /);
  },
});

Deno.test("client -6 with an IPv4 literal (and -4 with IPv6): getaddrinfo line, exit 1", async () => {
  for (const args of [["-6", "127.0.0.1"], ["-4", "::1"]]) {
    const { code, run } = await client(args);
    assertStrictEquals(code, 1, JSON.stringify(args));
    assertStrictEquals(run.stdout.text, "");
    assertEquals(run.stderr.lines, [
      "getaddrinfo: Address family for hostname not supported",
    ]);
  }
});

Deno.test({
  name: "client -6 connects to ::1 (with or without brackets)",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    for (const host of ["::1", "[::1]"]) {
      const server = sender([bytes("v6")], "::1");
      const { code, run } = await client([
        "-6",
        "--port",
        `${server.port}`,
        host,
      ]);
      await server.done;
      assertStrictEquals(code, 0, host);
      assertEquals(run.stdout.lines, [
        "client: connecting to ::1",
        "client: received 'v6'",
      ]);
    }
  },
});

Deno.test("client -v says each address it tries", async () => {
  const server = sender([bytes("x")]);
  const { code, run } = await client([
    "-v",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  await server.done;
  assertStrictEquals(code, 0);
  assertEquals(run.stderr.lines, [
    `client: trying 127.0.0.1 port ${server.port}`,
  ]);
});

Deno.test("client -h prints usage on stdout, exit 0", async () => {
  for (const flag of ["-h", "--help"]) {
    const { code, run } = await client([flag]);
    assertStrictEquals(code, 0);
    assertMatch(run.stdout.lines[0]!, /^usage: client hostname/);
    assertMatch(run.stdout.text, /--max-bytes/);
    assertStrictEquals(run.stderr.text, "");
  }
});

Deno.test("client -V prints one version line, exit 0", async () => {
  for (const flag of ["-V", "--version"]) {
    const { code, run } = await client([flag]);
    assertStrictEquals(code, 0);
    assertEquals(run.stdout.lines, [
      `client (beejnet) ${VERSION} (deno ${Deno.version.deno})`,
    ]);
    assertStrictEquals(run.stderr.text, "");
  }
});

/** Bad command lines, each with the one line it must print on stderr. */
const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus", "h"], /^client: unknown option "--bogus"$/],
  [["-z", "h"], /^client: unknown option "-z"$/],
  [["h", "-p"], /^client: option "-p" needs a value$/],
  [["-p", "65536", "h"], /^client: invalid port "65536": must be 1-65535$/],
  // A destination port is 1-65535 (nc's strtonum(port, 1, PORT_MAX)).
  [["-p", "0", "h"], /^client: invalid port "0": must be 1-65535$/],
  [["-p", "-1", "h"], /^client: invalid port "-1"/],
  [["-p", "3490x", "h"], /^client: invalid port "3490x"/],
  [["-p", "", "h"], /^client: invalid port ""/],
  [[""], /^client: invalid host: the host is empty$/],
  [["localhost:99999"], /^client: invalid host "localhost:99999"/],
  [["a".repeat(300)], /^client: invalid host "a{20}\.\.\.": longer than 253/],
  [
    ["-4", "-6", "h"],
    /^client: options "-4" and "-6" cannot be used together$/,
  ],
  [["-w", "0", "h"], /^client: invalid timeout "0"/],
  [["-w", "abc", "h"], /^client: invalid timeout "abc"/],
  [["-w", "-1", "h"], /^client: invalid timeout "-1"/],
  [["--max-bytes", "0", "h"], /^client: invalid max-bytes "0"/],
  [["--max-bytes", "1k", "h"], /^client: invalid max-bytes "1k"/],
  [["--raw", "--json", "h"], /^client: options "--raw" and "--json"/],
];

Deno.test("parseClient() refuses bad input, each with the one line to print", () => {
  for (const [args, expected] of BAD_INPUT) {
    const what = `client ${JSON.stringify(args)}`;
    assertMatch(refusedLine("client", parseClient, args), expected, what);
  }
});

// ---------------------------------------------------------------------------
// As a process

Deno.test({
  name: "client (process) receives the greeting, exit 0",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const server = runInProcess(serverMain, ["-b", "127.0.0.1", "-p", "0"]);
    const port = await listeningPort(server.stderr);
    const result = await runTool("client", ["-p", `${port}`, "127.0.0.1"]);
    server.controller.abort();
    assertStrictEquals(await deadline(server.code, "the server to stop"), 0);
    assertStrictEquals(result.code, 0);
    assertStrictEquals(
      result.stdout,
      "client: connecting to 127.0.0.1\nclient: received 'Hello, world!'\n",
    );
    assertStrictEquals(result.stderr, "");
  },
});

Deno.test({
  name: "client (process) refused: exit 2, two lines, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const result = await runTool("client", [
      "-p",
      `${freeTcpPort()}`,
      "127.0.0.1",
    ]);
    assertStrictEquals(result.code, 2);
    assertStrictEquals(result.stdout, "");
    assertStrictEquals(
      result.stderr,
      "client: connect: Connection refused\nclient: failed to connect\n",
    );
  },
});

Deno.test({
  name: "client (process) --raw: stdout is exactly the payload",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const payload = new Uint8Array(256).map((_, i) => i);
    const server = sender([payload]);
    const result = await runTool("client", [
      "--raw",
      "-p",
      `${server.port}`,
      "127.0.0.1",
    ]);
    await server.done;
    assertStrictEquals(result.code, 0);
    assertEquals(result.bytes, payload);
    assertStrictEquals(
      result.stderr,
      "client: connecting to 127.0.0.1\nclient: received 256 bytes\n",
    );
  },
});

Deno.test({
  name:
    "client (process) usage and bad input: one line, exit 1, no stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const cases: [string[], RegExp][] = [
      [[], /^usage: client hostname$/],
      [["a", "b"], /^usage: client hostname$/],
      [["nonexistent.invalid"], /^getaddrinfo: Name or service not known$/],
      ...BAD_INPUT.filter(([args]) => !args.includes("--json")),
    ];
    for (const [args, expected] of cases) {
      const result = await runTool("client", args);
      assertOneLineFailure(result, expected, `client ${JSON.stringify(args)}`);
    }
  },
});

Deno.test({
  name:
    "client (process) without net permission: one line naming --allow-net, exit 1",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    for (const host of ["127.0.0.1", "localhost"]) {
      const result = await runTool("client", ["-p", `${freeTcpPort()}`, host], {
        permissions: ["--allow-net=10.9.9.9"],
      });
      assertStrictEquals(result.code, 1, host);
      assertStrictEquals(result.stdout, "", host);
      assertNoStack(result.stderr);
      const lines = result.stderr.split("\n").slice(0, -1);
      assertStrictEquals(lines.length, 1, result.stderr);
      assertMatch(lines[0]!, /^client: permission denied: .*--allow-net/);
    }
  },
});
