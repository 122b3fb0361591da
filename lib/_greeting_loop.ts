// Private to lib/: one accept loop of serveGreeting(), on this thread or on a
// worker's. It greets every connection and closes it; connections are served
// concurrently, accept errors (such as running out of file descriptors) are
// survived, and a stop (the signal, close()) stops accepting and lets the
// connections in flight finish. A callback that throws or rejects is the
// loop's failure: it stops, closes every socket at once, and `finished`
// rejects with that error.

import { deadline } from "./_abort.ts";
import {
  bindCandidates,
  bindFirst,
  isMappedPeer,
  requireUnstableNet,
} from "./_bind.ts";
import { guardTrace, isThenable } from "./_callbacks.ts";
import { running } from "./_running.ts";
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
  /**
   * Fails the loop when aborted, as a callback's throw would: every socket
   * closed at once, `finished` rejected with the signal's reason. Workers
   * use it to stop every loop when one fails.
   */
  failSignal?: AbortSignal;
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
  // Without --unstable-net, Deno ends the process at `reusePort`.
  if (options.reusePort) requireUnstableNet("Deno.listen({ reusePort: true })");
  // The first failure of a callback; until the loop runs, only recorded.
  let failure: { error: unknown } | undefined;
  let fail = (error: unknown): void => {
    failure ??= { error };
  };
  // Tracing costs nothing when off: its module is not even loaded. A trace
  // that throws is a failure like any callback's, never thrown in here.
  const trace = options.trace && guardTrace(options.trace, (e) => fail(e));
  const tracer = await tracerFor(options.trace, (e) => fail(e));
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
  // Aborted while resolving, or a trace that threw: as if before the start.
  if (failure || signal?.aborted) {
    listener.close();
    throw failure ? failure.error : signal!.reason;
  }
  const refuseMapped = family === 6;
  // Connections in flight, in reusable slots: a Map keyed by connection
  // doubles the young generation under load (measured in bench/).
  const slots: (Deno.Conn | undefined)[] = [];
  const free: number[] = [];
  let active = 0;
  let onIdle: (() => void) | undefined;
  let wakeAcceptor: (() => void) | undefined;
  let stopping = false;
  // Promises of onRefused callbacks not yet settled: `finished` waits.
  const pending = new Set<PromiseLike<unknown>>();

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    listener.close();
    wakeAcceptor?.();
  };
  const closeAll = (): void => {
    for (const conn of slots) {
      try {
        conn?.close();
      } catch { /* already closed */ }
    }
  };
  fail = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    stop();
    closeAll();
  };
  signal?.addEventListener("abort", stop, { once: true });
  const failSignal = options.failSignal;
  const failNow = (): void => fail(failSignal!.reason);
  failSignal?.addEventListener("abort", failNow, { once: true });
  if (failSignal?.aborted) failNow();

  /** Wait for a callback's promise in the background; a rejection fails. */
  const track = (result: unknown): void => {
    if (!isThenable(result)) return;
    pending.add(result);
    result.then(() => pending.delete(result), (error) => {
      pending.delete(result);
      fail(error);
    });
  };

  const greet = async (
    conn: Deno.Conn,
    peer: Deno.NetAddr,
    slot: number,
  ): Promise<void> => {
    try {
      // Reported before the send, and awaited when it returns a promise.
      const reported = options.onConnection?.(peer);
      if (isThenable(reported)) await reported;
      if (failure) return;
      try {
        for (let sent = await conn.write(message); sent < message.length;) {
          sent += await conn.write(message.subarray(sent));
        }
      } catch (error) {
        if (
          !failure &&
          (!stopping || !(error instanceof Deno.errors.BadResource))
        ) {
          const handled = options.onSendError?.(peer, error);
          if (isThenable(handled)) await handled;
        }
      }
    } catch (error) {
      fail(error);
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
    let refused: boolean;
    try {
      refused = (refuseMapped && isMappedPeer(peer.hostname)) ||
        (options.accept !== undefined && !options.accept(peer));
    } catch (error) {
      conn.close();
      throw error;
    }
    if (refused) {
      conn.close();
      track(options.onRefused?.(peer));
      return;
    }
    const slot = free.pop() ?? slots.length;
    slots[slot] = conn;
    active++;
    greet(conn, peer, slot);
  };

  // After a stop: let the connections in flight finish, then close the rest
  // (at once after a failure).
  const drain = async (timeout: number): Promise<void> => {
    if (active > 0) {
      const idle = new Promise<void>((resolve) => onIdle = resolve);
      if (!failure) await deadline(idle, timeout).catch(() => {});
      closeAll();
      await idle;
    }
    while (pending.size > 0) await Promise.allSettled(pending);
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
        if (now - lastFailure > QUIET_PERIOD) {
          const reported = options.onAcceptError?.(error);
          if (isThenable(reported)) await reported;
        }
        lastFailure = now;
        backoff = Math.min(Math.max(backoff * 2, MIN_BACKOFF), MAX_BACKOFF);
        await wait(backoff);
        continue;
      }
      backoff = 0;
      if (failure) {
        // A trace that failed while this connection was accepted.
        conn.close();
        break;
      }
      serveOne(conn);
    }
  };

  const run = async (): Promise<void> => {
    try {
      await acceptLoop();
    } catch (error) {
      fail(error);
    } finally {
      stop();
      signal?.removeEventListener("abort", stop);
      failSignal?.removeEventListener("abort", failNow);
      await drain(options.shutdownTimeout ?? 1500);
    }
    if (failure) throw failure.error;
  };
  return running(listener.addr as Deno.NetAddr, run(), stop);
}
