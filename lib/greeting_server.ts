/**
 * A stream server that greets every connection and closes it: Beej's
 * `server.c` without a process per client. Connections are served
 * concurrently, accept errors (such as running out of file descriptors) are
 * survived, and aborting the signal stops accepting and lets the connections
 * in flight finish.
 *
 * @module
 */

import { bindCandidates, bindFirst, isMappedPeer } from "./_bind.ts";
import { DEFAULT_TCP_PORT, GREETING } from "./constants.ts";
import type { IpFamily } from "./ip.ts";

/** Options for {@linkcode serveGreeting}. */
export interface ServeGreetingOptions {
  /** The port; `0` for any free port. @default {3490} */
  port?: number;
  /** The address or name to bind; `::` (dual-stack), else `0.0.0.0`. */
  hostname?: string;
  /**
   * Only this family. With `6`, IPv4 peers that reach the dual-stack
   * socket are refused. @default {0}
   */
  family?: IpFamily | 0;
  /** What every connection is sent. @default {"Hello, world!"} */
  message?: string | Uint8Array;
  /** At most this many greetings in flight; the rest wait in the backlog. */
  maxConnections?: number;
  /** Set `SO_REUSEPORT`, so several processes can share the port. */
  reusePort?: boolean;
  /** Stops the server: no more accepts, connections in flight finish. */
  signal?: AbortSignal;
  /** How long connections in flight may take after `signal`, in ms. @default {1500} */
  shutdownTimeout?: number;
  /** Decides whether a peer is served; refused peers are closed unsent. */
  accept?: (peer: Deno.NetAddr) => boolean;
  /** Called for each peer that will be greeted, before it is sent. */
  onConnection?: (peer: Deno.NetAddr) => void;
  /** Called for each peer that `accept` (or `family: 6`) refused. */
  onRefused?: (peer: Deno.NetAddr) => void;
  /** Called when sending to a peer fails (it reset the connection, say). */
  onSendError?: (peer: Deno.NetAddr, error: unknown) => void;
  /**
   * Called when `accept()` starts failing (once per episode: failures less
   * than 2 s apart are one); the server backs off and keeps trying.
   */
  onAcceptError?: (error: unknown) => void;
}

/** A running server. */
export interface GreetingServer {
  /** The address the server is bound to, with the real port. */
  readonly addr: Deno.NetAddr;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
}

const MIN_BACKOFF = 5;
const MAX_BACKOFF = 1000;
/** Accept failures this close together (ms) are one episode, reported once. */
const QUIET_PERIOD = 2000;

/**
 * Start a greeting server.
 *
 * @param options Where to listen, what to send and how to stop.
 * @returns The running server: its address and a `finished` promise.
 * @throws {BindError} When no candidate address could be bound; it lists
 *   each address and its error.
 * @throws {ResolveError} When `hostname` does not resolve.
 *
 * @example Serve one client, then stop
 * ```ts
 * import { serveGreeting } from "./greeting_server.ts";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   signal: controller.signal,
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * const reply = await new Response(conn.readable).text();
 * controller.abort();
 * await server.finished;
 * assert.equal(reply, "Hello, world!");
 * ```
 */
export async function serveGreeting(
  options: ServeGreetingOptions = {},
): Promise<GreetingServer> {
  const port = options.port ?? DEFAULT_TCP_PORT;
  const family = options.family ?? 0;
  const message = typeof options.message === "string"
    ? new TextEncoder().encode(options.message)
    : options.message ?? new TextEncoder().encode(GREETING);
  const signal = options.signal;
  signal?.throwIfAborted();
  const candidates = await bindCandidates(options);
  const listener = bindFirst(
    candidates,
    (hostname) =>
      // Only ask for SO_REUSEPORT when wanted: it needs `--unstable-net`.
      Deno.listen(
        options.reusePort
          ? { hostname, port, reusePort: true }
          : { hostname, port },
      ),
  );
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([idle, expired]);
    clearTimeout(timer);
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
