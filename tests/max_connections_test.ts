/**
 * At most N greetings in flight, shown in the server's own order of events
 * rather than by watching a quiet window: its trace reports each accept and
 * each close as it makes them, so every accept must find fewer than N
 * connections accepted and not yet closed. A server that ignored the limit
 * accepts the waiting clients at its next turn, long before it has written
 * a greeting too large for the socket buffers of a client that does not
 * read (the test reads none until N greetings are under way).
 *
 * @module
 */

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { main as serverMain } from "../cmd/server.ts";
import { serveGreeting } from "../lib/greeting_server.ts";
import type { TraceEvent } from "../lib/trace.ts";
import {
  Calls,
  deadline,
  listeningPort,
  readToEnd,
  runInProcess,
  waitUntil,
} from "./_util.ts";

/** More than the socket buffers of a client that does not read hold. */
const LARGE = 8 * 1024 * 1024;

/** The events that open and close the server's connections, in order. */
type Step = { accept: number } | { close: number };

/**
 * The accepts and closes of the connections, from a trace; check that no
 * accept found `limit` connections open and that `clients` were accepted
 * and closed.
 */
function assertAtMost(
  events: Pick<TraceEvent, "call" | "by" | "socket">[],
  limit: number,
  clients: number,
): void {
  const steps: Step[] = events.flatMap((e): Step[] =>
    e.call === "accept" && e.socket !== undefined
      ? [{ accept: e.socket }]
      : e.call === "close" && e.by === "conn.close()" && e.socket !== undefined
      ? [{ close: e.socket }]
      : []
  );
  const open = new Set<number>();
  let accepted = 0;
  let most = 0;
  for (const step of steps) {
    if ("accept" in step) {
      assert(
        open.size < limit,
        `accept ${accepted + 1} found ${open.size} open: ${
          JSON.stringify(steps)
        }`,
      );
      open.add(step.accept);
      accepted++;
      most = Math.max(most, open.size);
    } else {
      assert(open.delete(step.close), `close of ${step.close} not accepted`);
    }
  }
  assertStrictEquals(accepted, clients, "connections accepted");
  assertStrictEquals(open.size, 0, "connections left open");
  assertStrictEquals(most, limit, "greetings in flight at most");
}

/** Connect `count` clients, one after the other (the backlog keeps the order). */
async function connectAll(port: number, count: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    conns.push(
      await deadline(
        Deno.connect({ hostname: "127.0.0.1", port }),
        `connection ${i + 1}`,
      ),
    );
  }
  return conns;
}

/** Read every client to its end, all at once; each got `size` bytes. */
async function readAllOf(conns: Deno.Conn[], size: number): Promise<void> {
  const replies = await Promise.all(
    conns.map((conn) => readToEnd(conn, { ms: 30_000 })),
  );
  for (const [i, reply] of replies.entries()) {
    assertStrictEquals(reply.data.length, size, `client ${i + 1}`);
  }
}

Deno.test("serveGreeting() with maxConnections 2 accepts a waiting client only once a greeting in flight is closed", async () => {
  const N = 2;
  const K = 5;
  const events: TraceEvent[] = [];
  const connections = new Calls<Deno.NetAddr>();
  const controller = new AbortController();
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    port: 0,
    message: new Uint8Array(LARGE).fill(0x61),
    maxConnections: N,
    onConnection: connections.push,
    trace: (event) => events.push(event),
    signal: controller.signal,
  });
  try {
    const conns = await connectAll(server.addr.port, K);
    await connections.wait(N, `${N} greetings under way`);
    await readAllOf(conns, LARGE);
    await connections.wait(K, `all ${K} greeted`);
  } finally {
    controller.abort();
    await deadline(server.finished, "the server to finish");
  }
  assertAtMost(events, N, K);
});

Deno.test("server --max-connections 2 --trace: each accept after a greeting in flight is closed, none dropped", async () => {
  const N = 2;
  const K = 5;
  const run = runInProcess(serverMain, [
    "-b",
    "127.0.0.1",
    "-p",
    "0",
    "--max-connections",
    `${N}`,
    "--json",
    "--trace",
    "-m",
    "x".repeat(LARGE),
  ]);
  try {
    const port = await listeningPort(run.stderr);
    const conns = await connectAll(port, K);
    const connected = (): number =>
      run.stdout.lines.filter((l) => l.startsWith('{"event":"connection"'))
        .length;
    await waitUntil(() => connected() >= N, `${N} greetings under way`);
    await readAllOf(conns, LARGE);
    await waitUntil(() => connected() === K, `all ${K} greeted`);
  } finally {
    run.controller.abort();
    assertStrictEquals(await deadline(run.code, "the server to stop"), 0);
  }
  const json = run.stdout.lines.map((l) => JSON.parse(l));
  assertEquals(
    json.filter((e) => e.event === "connection").length,
    K,
    "connection events",
  );
  assertAtMost(json.filter((e) => e.event === "trace"), N, K);
});
