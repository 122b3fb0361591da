// A program for tests/trace_calls_test.ts: makes every kind of call the
// trace knows, through the same trace helpers the library uses, and prints
// the events as JSON lines, so that the test can hold them against strace.

import { tracerOf } from "../lib/_trace_calls.ts";
import { traceFields } from "../lib/text/trace.ts";
import type { TraceEvent } from "../lib/trace.ts";

const encoder = new TextEncoder();
const tracer = tracerOf((event: TraceEvent): void => {
  const line = JSON.stringify({ event: "trace", ...traceFields(event) });
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
});

function listen(hostname: string, port: number): Deno.Listener | undefined {
  try {
    return tracer.listen({ hostname, port });
  } catch {
    return undefined;
  }
}

const connector = tracer.connector(
  ({ address }, port, signal) =>
    Deno.connect({ hostname: address, port, signal }),
  false,
);

async function connect(
  hostname: string,
  port: number,
): Promise<Deno.Conn | undefined> {
  try {
    return await connector(
      { address: hostname },
      port,
      new AbortController().signal,
    );
  } catch {
    return undefined;
  }
}

const mode = Deno.args[0] ?? "stream";

if (mode === "lookup") {
  const { lookup } = await import("node:dns/promises");
  const host = Deno.args[1] ?? "localhost";
  const found = await lookup(host, { all: true, family: 0, verbatim: true });
  tracer.lookup({ host, family: 0 }, { addresses: found });
} else if (mode === "stream") {
  tracer.skippedLookup({
    host: null,
    service: "3490",
    family: 0,
    type: "SOCK_STREAM",
    passive: true,
  }, "the wildcard needs no lookup");
  const listener = listen("127.0.0.1", 0)!;
  const { port } = listener.addr as Deno.NetAddr;
  listen("127.0.0.1", port); // EADDRINUSE
  tracer.noFork();
  // A port nobody listens on: refused.
  const probe = listen("127.0.0.1", 0)!;
  const closed = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await connect("127.0.0.1", closed);
  const client = (await connect("127.0.0.1", port))!;
  const served = await listener.accept();
  await served.write(new TextEncoder().encode("Hello, world!"));
  served.close();
  const buffer = new Uint8Array(65_536);
  while (await client.read(buffer) !== null) { /* until 0 */ }
  client.close();
  listener.close();
} else if (mode === "datagram") {
  const rx = tracer.listenDatagram({ hostname: "::", port: 0 }, true);
  const { port } = rx.addr as Deno.NetAddr;
  try {
    tracer.listenDatagram({ hostname: "::", port }, true);
  } catch { /* EADDRINUSE, traced */ }
  const tx = tracer.listenDatagram({ hostname: "0.0.0.0", port: 0 }, false);
  await tx.send(new TextEncoder().encode("hello"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  await rx.receive(new Uint8Array(65_536));
  tx.close();
  rx.close();
}
