// A program for tests/trace_calls_test.ts: makes every kind of call the
// trace knows, through the same trace helpers the library uses, and prints
// the events as JSON lines, so that the test can hold them against strace.

import {
  nextSocket,
  traceAccept,
  traceConnect,
  traceDatagramConn,
  traceListen,
  traceListenDatagram,
  traceListenerClose,
  traceLookup,
  traceLookupSkipped,
  traceNoFork,
} from "../lib/_trace_calls.ts";
import { traceFields } from "../lib/text/trace.ts";
import type { TraceEvent } from "../lib/trace.ts";

const encoder = new TextEncoder();
const trace = (event: TraceEvent): void => {
  const line = JSON.stringify({ event: "trace", ...traceFields(event) });
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
};

function listen(hostname: string, port: number): Deno.Listener | undefined {
  try {
    const listener = Deno.listen({ hostname, port });
    const id = traceListen(trace, { hostname, port }, {
      addr: listener.addr,
    });
    return Object.assign(listener, { traceId: id });
  } catch (error) {
    traceListen(trace, { hostname, port }, { error });
    return undefined;
  }
}

async function connect(
  hostname: string,
  port: number,
): Promise<Deno.Conn | undefined> {
  const socket = nextSocket();
  try {
    const conn = await Deno.connect({ hostname, port });
    return traceConnect(trace, { address: hostname, port, socket }, { conn });
  } catch (error) {
    traceConnect(trace, { address: hostname, port, socket }, { error });
    return undefined;
  }
}

const mode = Deno.args[0] ?? "stream";

if (mode === "lookup") {
  const { lookup } = await import("node:dns/promises");
  const host = Deno.args[1] ?? "localhost";
  const found = await lookup(host, { all: true, family: 0, verbatim: true });
  traceLookup(trace, { host, family: 0 }, { addresses: found });
} else if (mode === "stream") {
  traceLookupSkipped(trace, {
    host: null,
    service: "3490",
    family: 0,
    type: "SOCK_STREAM",
    passive: true,
  }, "the wildcard needs no lookup");
  const listener = listen("127.0.0.1", 0)!;
  const { port } = listener.addr as Deno.NetAddr;
  listen("127.0.0.1", port); // EADDRINUSE
  traceNoFork(trace);
  // A port nobody listens on: refused.
  const probe = listen("127.0.0.1", 0)!;
  const closed = (probe.addr as Deno.NetAddr).port;
  probe.close();
  traceListenerClose(
    trace,
    (probe as unknown as { traceId: number }).traceId,
    "listener.close()",
  );
  await connect("127.0.0.1", closed);
  const client = (await connect("127.0.0.1", port))!;
  const served = traceAccept(trace, await listener.accept());
  await served.write(new TextEncoder().encode("Hello, world!"));
  served.close();
  const buffer = new Uint8Array(65_536);
  while (await client.read(buffer) !== null) { /* until 0 */ }
  client.close();
  listener.close();
  traceListenerClose(
    trace,
    (listener as unknown as { traceId: number }).traceId,
    "listener.close()",
  );
} else if (mode === "datagram") {
  const receiver = Deno.listenDatagram({
    hostname: "::",
    port: 0,
    transport: "udp",
  });
  const rid = traceListenDatagram(trace, {
    hostname: "::",
    port: 0,
    guideBinds: true,
  }, { addr: receiver.addr as Deno.NetAddr });
  const rx = traceDatagramConn(receiver, trace, rid);
  const { port } = receiver.addr as Deno.NetAddr;
  try {
    Deno.listenDatagram({ hostname: "::", port, transport: "udp" });
  } catch (error) {
    traceListenDatagram(trace, { hostname: "::", port, guideBinds: true }, {
      error,
    });
  }
  const sender = Deno.listenDatagram({
    hostname: "0.0.0.0",
    port: 0,
    transport: "udp",
  });
  const sid = traceListenDatagram(trace, {
    hostname: "0.0.0.0",
    port: 0,
    guideBinds: false,
  }, { addr: sender.addr as Deno.NetAddr });
  const tx = traceDatagramConn(sender, trace, sid);
  await tx.send(new TextEncoder().encode("hello"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  await rx.receive(new Uint8Array(65_536));
  tx.close();
  rx.close();
}
