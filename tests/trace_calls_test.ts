// The trace's model of Deno's system calls (lib/_trace_calls.ts), held
// against strace: a probe program makes each kind of call through the same
// helpers the library uses, and every event must match strace's calls.

import { assert, assertEquals } from "@std/assert";
import { checkTrace, STRACE_MISSING, straced, traceEvents } from "./_strace.ts";

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
