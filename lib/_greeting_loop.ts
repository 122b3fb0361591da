// Private to lib/: one accept loop of serveGreeting(), on this thread or on a
// worker's. It greets every connection and closes it; connections are served
// concurrently, accept errors (such as running out of file descriptors) are
// survived, and aborting the signal stops accepting and lets the connections
// in flight finish.

import { deadline } from "@std/async/deadline";
import { bindCandidates, bindFirst, isMappedPeer } from "./_bind.ts";
import type {
  GreetingServer,
  ServeGreetingOptions,
} from "./greeting_server.ts";
import { tracerFor } from "./errors.ts";

/** What one loop needs: the public options, resolved, plus its own. */
export interface LoopOptions
  extends Omit<ServeGreetingOptions, "workers" | "access" | "message"> {
  /** The port. */
  port: number;
  /** What every connection is sent. */
  message: Uint8Array;
  /** Set `SO_REUSEPORT`, so several loops can share the port. */
  reusePort?: boolean;
}

const MIN_BACKOFF = 5;
const MAX_BACKOFF = 1000;
/** Accept failures this close together (ms) are one episode, reported once. */
const QUIET_PERIOD = 2000;

/** Bind and start one accept loop. */
export async function greetLoop(
  options: LoopOptions,
): Promise<GreetingServer> {
  const { port, message } = options;
  const family = options.family ?? 0;
  const signal = options.signal;
  signal?.throwIfAborted();
  // Tracing costs nothing when off: its module is not even loaded.
  const trace = options.trace;
  const tracer = await tracerFor(trace);
  const candidates = await bindCandidates(
    options,
    trace && { trace, port, type: "SOCK_STREAM" },
  );
  const listener = bindFirst(candidates, (hostname) => {
    // Only ask for SO_REUSEPORT when wanted: it needs `--unstable-net`.
    const request = options.reusePort
      ? { hostname, port, reusePort: true }
      : { hostname, port };
    return tracer?.listen(request) ?? Deno.listen(request);
  });
  const refuseMapped = family === 6;
  // Connections in flight, in reusable slots: a Map keyed by connection
  // doubles the young generation under load (measured in bench/).
  const slots: (Deno.Conn | undefined)[] = [];
  const free: number[] = [];
  let active = 0;
  let onIdle: (() => void) | undefined;
  let wakeAcceptor: (() => void) | undefined;
  let stopping = false;

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    listener.close();
    wakeAcceptor?.();
  };
  signal?.addEventListener("abort", stop, { once: true });

  const greet = async (
    conn: Deno.Conn,
    peer: Deno.NetAddr,
    slot: number,
  ): Promise<void> => {
    try {
      const writing = conn.write(message);
      // Reported once the send is under way, so no output work delays it.
      options.onConnection?.(peer);
      for (let sent = await writing; sent < message.length;) {
        sent += await conn.write(message.subarray(sent));
      }
    } catch (error) {
      if (!stopping || !(error instanceof Deno.errors.BadResource)) {
        options.onSendError?.(peer, error);
      }
    } finally {
      slots[slot] = undefined;
      free.push(slot);
      active--;
      try {
        conn.close();
      } catch { /* closed by the shutdown timeout */ }
      wakeAcceptor?.();
      if (active === 0) onIdle?.();
    }
  };

  const serveOne = (conn: Deno.Conn): void => {
    const peer = conn.remoteAddr as Deno.NetAddr;
    if (
      (refuseMapped && isMappedPeer(peer.hostname)) ||
      (options.accept && !options.accept(peer))
    ) {
      conn.close();
      options.onRefused?.(peer);
      return;
    }
    const slot = free.pop() ?? slots.length;
    slots[slot] = conn;
    active++;
    greet(conn, peer, slot);
  };

  // After a stop: let the connections in flight finish, then close the rest.
  const drain = async (timeout: number): Promise<void> => {
    if (active === 0) return;
    const idle = new Promise<void>((resolve) => onIdle = resolve);
    await deadline(idle, timeout).catch(() => {});
    for (const conn of slots) {
      try {
        conn?.close();
      } catch { /* already closed */ }
    }
    await idle;
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeAcceptor = undefined;
        resolve();
      }
      wakeAcceptor = done;
    });

  const acceptLoop = async (): Promise<void> => {
    let backoff = 0;
    let lastFailure = -Infinity;
    while (!stopping) {
      const limit = options.maxConnections;
      if (limit !== undefined && active >= limit) {
        await new Promise<void>((resolve) => wakeAcceptor = resolve);
        wakeAcceptor = undefined;
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping) break;
        // A peer that reset before its accept completed is its own loss,
        // not a failure of the server: no report, no back-off.
        if (
          error instanceof Deno.errors.NotConnected ||
          error instanceof Deno.errors.ConnectionAborted ||
          error instanceof Deno.errors.ConnectionReset
        ) continue;
        const now = performance.now();
        if (now - lastFailure > QUIET_PERIOD) options.onAcceptError?.(error);
        lastFailure = now;
        backoff = Math.min(Math.max(backoff * 2, MIN_BACKOFF), MAX_BACKOFF);
        await wait(backoff);
        continue;
      }
      backoff = 0;
      serveOne(conn);
    }
    await drain(options.shutdownTimeout ?? 1500);
    signal?.removeEventListener("abort", stop);
  };

  return {
    addr: listener.addr as Deno.NetAddr,
    finished: acceptLoop(),
  };
}
