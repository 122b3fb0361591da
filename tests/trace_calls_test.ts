// The trace's model of Deno's system calls (lib/_trace_calls.ts), held
// against strace: a probe program makes each kind of call through the same
// helpers the library uses, and every event must match strace's calls.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import { serveGreeting } from "../lib/greeting_server.ts";
import { connectFirst } from "../lib/happy_eyeballs.ts";
import { sendDatagram } from "../lib/send_datagram.ts";
import { sendNumbered } from "../lib/send_numbered.ts";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { tracerOf } from "../lib/_trace_calls.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { checkTrace, STRACE_MISSING, straced, traceEvents } from "./_strace.ts";
import {
  deadline,
  freeTcpPort,
  freeUdpPort,
  readToEnd,
  waitUntil,
} from "./_util.ts";

const probe = new URL("./_trace_probe.ts", import.meta.url).pathname;

function ignored(): boolean {
  if (STRACE_MISSING === undefined) return false;
  // deno-lint-ignore no-console
  console.error(`ignored: ${STRACE_MISSING}`);
  return true;
}

async function probeUnderStrace(
  mode: string,
): Promise<ReturnType<typeof checkTrace>> {
  await using run = await straced([
    Deno.execPath(),
    "run",
    "--allow-net",
    probe,
    mode,
  ]);
  const { code, calls } = await run.finished();
  assertEquals(code, 0, run.process.stderr.text);
  const events = traceEvents(run.process.stdout.lines);
  assert(events.length > 0, "no trace events");
  return checkTrace(events, calls);
}

Deno.test({
  name: "trace of listen, connect, accept, send, recv and close matches strace",
  ignore: ignored(),
  async fn(): Promise<void> {
    const checked = await probeUnderStrace("stream");
    // Listener, the failed bind, a closed port's, the refused attempt,
    // client, accepted.
    assertEquals(checked.sockets, 6);
  },
});

Deno.test({
  name: "trace of listenDatagram, sendto and recvfrom matches strace",
  ignore: ignored(),
  async fn(): Promise<void> {
    const checked = await probeUnderStrace("datagram");
    assertEquals(checked.sockets, 3);
  },
});

Deno.test({
  name: "trace of getaddrinfo matches the resolver's reads",
  ignore: ignored(),
  async fn(): Promise<void> {
    const checked = await probeUnderStrace("lookup");
    assertEquals(checked.sockets, 0);
  },
});

Deno.test("connectFirst() traces a race: the delay, the winner, the abandoned attempt", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  const events: TraceEvent[] = [];
  // The IPv6 attempt never answers; the IPv4 one starts after the delay.
  const connect = (
    address: ResolvedAddress,
    port: number,
    signal: AbortSignal,
  ): Promise<Deno.TcpConn> =>
    address.family === 6
      ? new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      )
      : Deno.connect({ hostname: address.address, port, signal });
  const { conn } = await connectFirst([
    { address: "::1", family: 6 },
    { address: "127.0.0.1", family: 4 },
  ], { port, attemptDelay: 30, connect, trace: (e) => events.push(e) });
  (await listener.accept()).close();
  conn.close();
  await waitUntil(
    () => events.some((e) => e.by === "Deno.connect (aborted)"),
    "the aborted attempt's trace event",
  );
  const [second, won, first, abandoned, closed, closedWinner] = [
    events.find((e) => e.call === "socket" && e.family === "AF_INET")!,
    events.find((e) => e.call === "connect" && e.result === 0)!,
    events.find((e) => e.call === "socket" && e.family === "AF_INET6")!,
    events.find((e) => e.call === "connect" && e.errno === "EINPROGRESS")!,
    events.find((e) => e.by === "Deno.connect (aborted)")!,
    events.find((e) => e.by === "conn.close()")!,
  ];
  assertEquals(first.at, 0);
  assert(second.at! >= 29, `the second attempt started at +${second.at} ms`);
  assertMatch(
    second.note!,
    /^started \d+(\.\d)? ms after the attempt before, which has not answered \(RFC 8305's connection attempt delay\)$/,
  );
  assert(won.at! >= second.at!);
  assertEquals(abandoned.address, "::1");
  assertEquals(abandoned.syscalls, ["connect"]);
  assertMatch(closed.note!, /^another attempt connected first: abandoned/);
  assertEquals(closedWinner.socket, second.socket);
});

Deno.test("connectFirst() traces an attempt that timed out as abandoned", async () => {
  const events: TraceEvent[] = [];
  const never = (
    _: ResolvedAddress,
    __: number,
    signal: AbortSignal,
  ): Promise<Deno.TcpConn> =>
    new Promise((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason))
    );
  await assertRejects(() =>
    connectFirst([{ address: "127.0.0.1", family: 4 }], {
      port: 9,
      timeout: 20,
      connect: never,
      trace: (e) => events.push(e),
    })
  );
  await waitUntil(
    () => events.some((e) => e.call === "close"),
    "the close's trace event",
  );
  assertEquals(events.map((e) => [e.call, e.errno]), [
    ["socket", undefined],
    ["connect", "EINPROGRESS"],
    ["close", undefined],
  ]);
  assertMatch(events[2]!.note!, /^timed out: abandoned/);
  assertEquals(events[0]!.at, undefined, "no timing without a race");
});

Deno.test("each trace callback numbers its own sockets from 1, in one sequence across calls", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  const first: TraceEvent[] = [];
  const second: TraceEvent[] = [];
  const traceFirst = (event: TraceEvent): void => void first.push(event);
  const traceSecond = (event: TraceEvent): void => void second.push(event);
  // Interleaved: a counter shared by the two would number them 1, 2, 3.
  for (const trace of [traceFirst, traceSecond, traceFirst]) {
    const { conn } = await connectFirst([{ address: "127.0.0.1", family: 4 }], {
      port,
      timeout: 5000,
      trace,
    });
    (await deadline(listener.accept(), "the connection")).close();
    conn.close();
  }
  const sockets = (events: TraceEvent[]): (number | undefined)[] =>
    events.filter((e) => e.call === "socket").map((e) => e.socket);
  assertEquals(sockets(first), [1, 2]);
  assertEquals(sockets(second), [1]);
  assertEquals(
    first.filter((e) => e.call === "close").map((e) => e.socket),
    [1, 2],
  );
});

Deno.test("a traced listener's for await traces each accept and ends at its close", async () => {
  const events: TraceEvent[] = [];
  const tracer = tracerOf((event) => void events.push(event));
  const listener = tracer.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ port: listener.addr.port });
  const served: Deno.Conn[] = [];
  for await (const conn of listener) {
    served.push(conn);
    listener.close();
  }
  for (const conn of [...served, client]) conn.close();
  assertEquals(served.length, 1);
  assertEquals(
    events.slice(-3).map((e) => [e.call, e.by, e.socket]),
    [
      ["accept", "listener.accept()", 2],
      ["close", "listener.close()", 1],
      ["close", "conn.close()", 2],
    ],
  );
});

/** A trace callback that throws at the first event of `call`. */
function throwingAt(call: TraceEvent["call"]): (event: TraceEvent) => void {
  return (event) => {
    if (event.call === call) throw new Error(`trace refused ${call}`);
  };
}

// Each checks that the socket was closed: a port bound again, an end of
// stream (the sanitizers do not see a listener left open).
Deno.test("serveGreeting() closes its listener when the trace callback throws", async () => {
  const port = freeTcpPort();
  await assertRejects(() =>
    serveGreeting({
      hostname: "127.0.0.1",
      port,
      trace: throwingAt("getsockname"),
    })
  );
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("listenForDatagrams() closes its socket when the trace callback throws", async () => {
  const port = freeUdpPort();
  await assertRejects(() =>
    listenForDatagrams({
      hostname: "127.0.0.1",
      port,
      onDatagram: () => {},
      trace: throwingAt("getsockname"),
    })
  );
  Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" })
    .close();
});

Deno.test("connectFirst() closes the connection made when the trace callback throws", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assertRejects(() =>
    connectFirst([{ address: "127.0.0.1", family: 4 }], {
      port: listener.addr.port,
      timeout: 5000,
      trace: throwingAt("connect"),
    })
  );
  const accepted = await deadline(listener.accept(), "the attempt");
  const { data } = await readToEnd(accepted, { ms: 2000, resetEnds: true });
  assertEquals(data.length, 0);
});

Deno.test("serveGreeting() closes a connection accepted when the trace callback throws", async () => {
  const controller = new AbortController();
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onAcceptError: () => {},
    trace: throwingAt("accept"),
  });
  const conn = await Deno.connect({ port: server.addr.port });
  const { data } = await readToEnd(conn, { resetEnds: true });
  assertEquals(data.length, 0, "served although its trace failed");
  // A trace that throws is the server's failure, as any callback's.
  await assertRejects(
    () => deadline(server.finished, "the server's end"),
    Error,
    "trace refused accept",
  );
  controller.abort();
});

Deno.test("one trace callback numbers the sockets of a server and a client in one sequence", async () => {
  const events: TraceEvent[] = [];
  const trace = (event: TraceEvent): void => void events.push(event);
  await using server = await serveGreeting({ hostname: "127.0.0.1", trace });
  const { conn } = await connectFirst([{ address: "127.0.0.1", family: 4 }], {
    port: server.addr.port,
    timeout: 5000,
    trace,
  });
  conn.close();
  const made = events.filter((e) => e.call === "socket").map((e) => e.socket);
  // The listener's socket is 1; the client's comes after it, not 1 again.
  assertEquals(made, [1, 2]);
});

Deno.test("connectFirst() rejects with a trace callback's own error, thrown or rejected, not as an address's failure", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const oops = new Error("trace refused connect");
  const traces = [
    (event: TraceEvent): void => {
      if (event.call === "connect") throw oops;
    },
    // An async trace: its rejection must not end the process.
    (event: TraceEvent): Promise<void> =>
      event.call === "connect" ? Promise.reject(oops) : Promise.resolve(),
  ];
  for (const trace of traces) {
    const error = await connectFirst(
      [{ address: "127.0.0.1", family: 4 }],
      { port: listener.addr.port, timeout: 5000, trace: trace as () => void },
    ).catch((e: unknown) => e);
    assertEquals(error, oops);
    // The connection it made was closed: the peer sees its end.
    const accepted = await deadline(listener.accept(), "the attempt");
    const { data } = await readToEnd(accepted, { ms: 2000, resetEnds: true });
    assertEquals(data.length, 0);
  }
});

Deno.test("sendDatagram() and sendNumbered() reject with a trace callback's own error, not as a failed send", async () => {
  const receiver = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = (receiver.addr as Deno.NetAddr).port;
  try {
    const oops = new Error("trace refused sendto");
    const trace = (event: TraceEvent): void => {
      if (event.call === "sendto") throw oops;
    };
    const to = [{ address: "127.0.0.1", family: 4 as const }];
    const message = new Uint8Array([1, 2, 3]);
    assertEquals(
      await sendDatagram(to, message, { port, trace }).catch((e: unknown) => e),
      oops,
    );
    assertEquals(
      await sendNumbered(to, message, { port, count: 5, trace }).catch((
        e: unknown,
      ) => e),
      oops,
    );
  } finally {
    receiver.close();
  }
});
