/**
 * Access control: `--allow` and `--deny` on `server` (a refused peer is
 * closed without a byte) and `listener` (a refused datagram is dropped), with
 * IPv4 and IPv6 prefixes, IPv4 peers of the dual-stack socket matching IPv4
 * prefixes, deny winning over allow, unlisted peers refused once anything is
 * allowed, and `-v` reporting each refusal; and `--max-connections` holding
 * greetings in flight to N while the rest wait, none dropped.
 *
 * @module
 */

import { assertEquals, assertStrictEquals } from "@std/assert";
import { main as serverMain } from "../cmd/server.ts";
import {
  bytes,
  deadline,
  listeningPort,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  readToEnd,
  runInProcess,
  TestProcess,
} from "./_util.ts";
import {
  countLines,
  fetchAll,
  GREETING,
  needs,
  startTool,
  udpPeer,
  waitUntil,
} from "./_peers.ts";

/** Where a test peer connects or sends from. */
type Source = "127.0.0.1" | "127.0.0.2" | "::1";

/** A line of the access table: the options, and who gets through. */
interface AccessCase {
  args: string[];
  /** Served (server) or delivered (listener), in this order. */
  served: Source[];
  /** Closed unsent (server) or dropped (listener). */
  refused: Source[];
  /** Bind this address instead of the dual-stack `::`. */
  bind?: string;
  /** Run without `-v`: refusals are then not reported. */
  quiet?: boolean;
  why: string;
}

const CASES: AccessCase[] = [
  {
    args: ["--allow", "127.0.0.0/8"],
    served: ["127.0.0.1"],
    refused: ["::1"],
    why:
      "an IPv4 peer of the dual-stack socket matches its IPv4 prefix; unlisted ::1 is refused",
  },
  {
    args: ["--deny", "127.0.0.1"],
    served: ["::1"],
    refused: ["127.0.0.1"],
    why: "a denied IPv4-mapped peer is refused, others served",
  },
  {
    args: ["--deny", "127.0.0.1"],
    served: ["::1"],
    refused: ["127.0.0.1"],
    quiet: true,
    why: "without -v a refusal is silent",
  },
  {
    args: ["--allow", "::1"],
    served: ["::1"],
    refused: ["127.0.0.1"],
    why: "an IPv6 allow list refuses IPv4 peers",
  },
  {
    args: ["--deny", "::1/128"],
    served: ["127.0.0.1"],
    refused: ["::1"],
    why: "an IPv6 prefix denies ::1 only",
  },
  {
    args: ["--allow", "::ffff:0:0/96"],
    served: ["127.0.0.1"],
    refused: ["::1"],
    why: "IPv4 peers match the IPv4-mapped IPv6 prefix",
  },
  {
    args: ["--allow", "fe80::/10"],
    served: [],
    refused: ["::1", "127.0.0.1"],
    why: "peers outside the only allowed prefix are refused",
  },
  {
    args: ["--allow", "127.0.0.0/8", "--deny", "127.0.0.1/32"],
    served: ["127.0.0.2"],
    refused: ["127.0.0.1"],
    why: "deny wins over allow for a peer in both",
  },
  {
    args: ["--deny", "127.0.0.0/8", "--allow", "127.0.0.1"],
    served: [],
    refused: ["127.0.0.1", "127.0.0.2"],
    why: "deny wins whatever the order of the options",
  },
  {
    args: ["--allow", "10.0.0.0/8", "--allow", "127.0.0.2"],
    served: ["127.0.0.2"],
    refused: ["127.0.0.1"],
    why: "--allow is repeatable; a peer in none of the prefixes is refused",
  },
  {
    args: ["--deny", "127.0.0.1"],
    bind: "127.0.0.1",
    served: ["127.0.0.2"],
    refused: ["127.0.0.1"],
    why: "a plain IPv4 socket's peers match IPv4 prefixes too",
  },
];

const usesV6 = (c: AccessCase): boolean =>
  [...c.served, ...c.refused].includes("::1");
const uses2 = (c: AccessCase): boolean =>
  [...c.served, ...c.refused].includes("127.0.0.2");
const describe = (c: AccessCase): string =>
  `${c.quiet ? "" : "-v "}${c.bind ? `-b ${c.bind} ` : ""}${c.args.join(" ")}`;

// ---------------------------------------------------------------------------
// server

/**
 * Connect to the server from `source` and read until it closes: with
 * Deno.connect, or for 127.0.0.2 (Deno cannot choose a source address) with
 * `nc -s`.
 */
async function tcpFrom(
  source: Source,
  port: number,
  target: string,
): Promise<Uint8Array> {
  if (source !== "127.0.0.2") return (await fetchAll(port, source)).data;
  await using nc = new TestProcess("nc", [
    "-N",
    "-s",
    source,
    target,
    `${port}`,
  ]);
  await nc.exit();
  return nc.output;
}

for (const c of CASES) {
  Deno.test({
    name: `server ${describe(c)}: ${c.why}`,
    ignore: (uses2(c) ? needs("nc") : NEEDS_SPAWN()) ||
      (usesV6(c) && NEEDS_IPV6()),
    async fn(): Promise<void> {
      const { proc: server, port } = await startTool("server", [
        ...(c.quiet ? [] : ["-v"]),
        ...(c.bind ? ["-b", c.bind] : []),
        ...c.args,
        "-p",
        "0",
      ]);
      await using _server = server;
      const target = c.bind ?? "127.0.0.1";
      for (const source of c.refused) {
        const data = await tcpFrom(source, port, target);
        assertStrictEquals(
          data.length,
          0,
          `${source} got ${data.length} bytes`,
        );
        if (!c.quiet) {
          await server.stderr.waitFor(
            new RegExp(`^server: refused connection from ${source}$`),
          );
        }
      }
      for (const source of c.served) {
        const data = await tcpFrom(source, port, target);
        assertEquals(data, bytes(GREETING), `${source} greeted`);
        await server.stdout.waitFor(
          new RegExp(`^server: got connection from ${source}$`),
        );
      }
      server.kill("SIGTERM");
      assertStrictEquals(await server.exit(), 0);
      assertEquals(server.stdout.lines, [
        "server: waiting for connections...",
        ...c.served.map((s) => `server: got connection from ${s}`),
      ]);
      assertEquals(server.stderr.lines, [
        `server: listening on ${c.bind ?? "[::]"}:${port}`,
        ...(c.quiet
          ? []
          : c.refused.map((s) => `server: refused connection from ${s}`)),
        ...(c.quiet ? [] : ["server: stopped"]),
      ]);
    },
  });
}

// ---------------------------------------------------------------------------
// listener

/** Send `data` as one datagram from `source` to `target:port`. */
async function udpFrom(
  source: Source,
  target: string,
  port: number,
  data: Uint8Array,
): Promise<void> {
  using socket = udpPeer(source);
  await socket.send(data, {
    transport: "udp",
    hostname: source === "::1" ? "::1" : target,
    port,
  });
}

for (const c of CASES) {
  Deno.test({
    name: `listener ${describe(c)}: ${c.why}`,
    ignore: NEEDS_SPAWN() || (usesV6(c) && NEEDS_IPV6()),
    async fn(): Promise<void> {
      const { proc: listener, port } = await startTool("listener", [
        ...(c.quiet ? [] : ["-v"]),
        ...(c.bind ? ["-b", c.bind] : []),
        ...c.args,
        "-c",
        `${Math.max(1, c.served.length)}`,
        "-p",
        "0",
      ]);
      await using _listener = listener;
      const target = c.bind ?? "127.0.0.1";
      const refusedData = (s: Source): Uint8Array => bytes(`not from ${s}!`);
      const servedData = (s: Source): Uint8Array => bytes(`from ${s}`);
      for (const source of c.refused) {
        await udpFrom(source, target, port, refusedData(source));
        if (!c.quiet) {
          await listener.stderr.waitFor(
            new RegExp(
              `^listener: dropped ${
                refusedData(source).length
              } bytes from ${source}$`,
            ),
          );
        }
      }
      for (const source of c.served) {
        await udpFrom(source, target, port, servedData(source));
      }
      if (c.served.length === 0) {
        // Nothing will be delivered: the drops were seen; stop it.
        listener.kill("SIGINT");
        assertStrictEquals(await listener.exit(), 130);
      } else {
        assertStrictEquals(await listener.exit(), 0);
      }
      assertEquals(listener.stdout.lines, [
        "listener: waiting to recvfrom...",
        ...c.served.flatMap((s) => {
          const data = new TextDecoder().decode(servedData(s));
          return [
            `listener: got packet from ${s}`,
            `listener: packet is ${data.length} bytes long`,
            `listener: packet contains "${data}"`,
          ];
        }),
      ]);
      assertEquals(listener.stderr.lines, [
        `listener: listening on ${c.bind ?? "[::]"}:${port}`,
        ...(c.quiet
          ? []
          : c.refused.map((s) =>
            `listener: dropped ${refusedData(s).length} bytes from ${s}`
          )),
      ]);
    },
  });
}

// ---------------------------------------------------------------------------
// --max-connections

/**
 * A greeting larger than the socket buffers on both sides, so that a client
 * that does not read keeps it in flight. A process cannot be given one: an
 * argument is at most 128 KiB, and loopback buffers swallow that whole. So
 * `main()` runs in this process.
 */
const LARGE = "x".repeat(8 * 1024 * 1024);

Deno.test("server --max-connections 2: at most 2 greetings in flight, the rest wait, none dropped", async () => {
  const N = 2;
  const K = 6;
  const run = runInProcess(serverMain, [
    "-b",
    "127.0.0.1",
    "-p",
    "0",
    "--max-connections",
    `${N}`,
    "-m",
    LARGE,
  ]);
  const conns: Deno.Conn[] = [];
  try {
    const port = await listeningPort(run.stderr);
    const line = "server: got connection from 127.0.0.1";
    const printed = (): number => countLines(run.stdout, line);
    // One at a time, so the backlog serves them in this order.
    for (let i = 0; i < K; i++) {
      conns.push(
        await deadline(
          Deno.connect({ hostname: "127.0.0.1", port }),
          "a connection",
        ),
      );
    }
    await waitUntil(() => printed() === N, `${N} greetings started`);
    // The other clients are connected (in the backlog) but stay unserved
    // while the first N stall: tests/max_connections_test.ts shows it in
    // the trace's order of accepts and closes.

    // Finishing one greeting lets exactly one more start.
    const first = await readToEnd(conns[0]!, { ms: 30_000, resetEnds: true });
    assertStrictEquals(first.data.length, LARGE.length);
    await waitUntil(() => printed() === N + 1, "one more greeting started");

    const rest = await Promise.all(
      conns.slice(1).map((conn) =>
        readToEnd(conn, { ms: 30_000, resetEnds: true })
      ),
    );
    for (const [i, reply] of rest.entries()) {
      assertStrictEquals(
        reply.error,
        undefined,
        `client ${i + 1}: ${reply.error}`,
      );
      assertStrictEquals(reply.data.length, LARGE.length, `client ${i + 1}`);
    }
    await waitUntil(() => printed() === K, `all ${K} served`);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* read to the end and closed */ }
    }
    run.controller.abort();
    assertStrictEquals(await deadline(run.code, "the server to stop"), 0);
  }
  assertStrictEquals(run.stdout.lines.length, 1 + K);
  assertStrictEquals(run.stderr.lines.length, 1, run.stderr.text); // listening only
});
