/**
 * A stream server that greets every connection and closes it: Beej's
 * `server.c` without a process per client. Connections are served
 * concurrently, accept errors (such as running out of file descriptors) are
 * survived, and aborting the signal stops accepting and lets the connections
 * in flight finish. With `workers`, several threads each run an accept loop
 * on the same port (`SO_REUSEPORT`) and the kernel spreads connections over
 * them; events reach the callbacks on the thread that started the server.
 *
 * @module
 */

import { greetLoop } from "./_greeting_loop.ts";
import {
  accessList,
  type AccessListOptions,
  type Cidr,
  parseCidr,
} from "./access_list.ts";
import { DEFAULT_TCP_PORT, GREETING } from "./constants.ts";
import type { IpFamily } from "./ip.ts";
import type { Trace } from "./trace.ts";
import { tracerFor } from "./errors.ts";

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
  /** At most this many greetings in flight (per loop); the rest wait in the backlog. */
  maxConnections?: number;
  /**
   * How many accept loops: this thread plus `workers - 1` worker threads,
   * sharing the port with `SO_REUSEPORT` (which needs `--unstable-net`, and
   * the read permission for the workers' module under `deno run`).
   * @default {1}
   */
  workers?: number;
  /**
   * Peers to serve and refuse, as prefixes (see {@linkcode accessList});
   * parsed once and handed to every worker. Refused peers are closed unsent.
   */
  access?: AccessListOptions;
  /**
   * Decides whether a peer is served, after `access`; refused peers are
   * closed unsent. A function cannot reach a worker: only with one loop.
   */
  accept?: (peer: Deno.NetAddr) => boolean;
  /** Stops the server: no more accepts, connections in flight finish. */
  signal?: AbortSignal;
  /** How long connections in flight may take after `signal`, in ms. @default {1500} */
  shutdownTimeout?: number;
  /** Called for each peer that will be greeted, before it is sent. */
  onConnection?: (peer: Deno.NetAddr) => void;
  /** Called for each peer that `access`, `accept` or `family: 6` refused. */
  onRefused?: (peer: Deno.NetAddr) => void;
  /** Called when sending to a peer fails (it reset the connection, say). */
  onSendError?: (peer: Deno.NetAddr, error: unknown) => void;
  /**
   * Called when `accept()` starts failing (once per episode: failures less
   * than 2 s apart are one); the server backs off and keeps trying.
   */
  onAcceptError?: (error: unknown) => void;
  /**
   * Receives each socket call as it is made — the listening socket's, each
   * connection's, the workers' — and, once, that there is no `fork()` (see
   * `trace.ts`). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
}

/** A running server. */
export interface GreetingServer {
  /** The address the server is bound to, with the real port. */
  readonly addr: Deno.NetAddr;
  /**
   * Resolves when the server has stopped (every loop, with workers) and
   * every connection is closed.
   */
  readonly finished: Promise<void>;
}

/**
 * Start a greeting server.
 *
 * @param options Where to listen, what to send, how many loops and how to
 *   stop.
 * @returns The running server: its address and a `finished` promise.
 * @throws {BindError} When no candidate address could be bound; it lists
 *   each address and its error.
 * @throws {ResolveError} When `hostname` does not resolve.
 * @throws {SyntaxError | RangeError} When a prefix in `access` does not parse.
 * @throws {TypeError} When `accept` is given with more than one worker.
 * @throws {Deno.errors.NotCapable} When `workers` is above 1 and the read
 *   permission for the workers' module is missing.
 * @throws {Error} When a worker cannot start; the others are stopped.
 *
 * @example Serve one client, then stop
 * ```ts
 * import { serveGreeting } from "./greeting_server.ts";
 * import { assertEquals } from "@std/assert";
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
 * assertEquals(reply, "Hello, world!");
 * ```
 *
 * @example Two accept loops on one port
 * ```ts
 * import { serveGreeting } from "./greeting_server.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const controller = new AbortController();
 * const server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   workers: 2,
 *   signal: controller.signal,
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * const reply = await new Response(conn.readable).text();
 * controller.abort();
 * await server.finished;
 * assertEquals(reply, "Hello, world!");
 * ```
 */
export async function serveGreeting(
  options: ServeGreetingOptions = {},
): Promise<GreetingServer> {
  const workers = options.workers ?? 1;
  const message = typeof options.message === "string"
    ? new TextEncoder().encode(options.message)
    : options.message ?? new TextEncoder().encode(GREETING);
  const port = options.port ?? DEFAULT_TCP_PORT;
  // Parsed once, here; workers get the parsed prefixes.
  const parse = (p: string | Cidr): Cidr =>
    typeof p === "string" ? parseCidr(p) : p;
  const access = {
    allow: (options.access?.allow ?? []).map(parse),
    deny: (options.access?.deny ?? []).map(parse),
  };
  const allowed = accessList(access);
  if (workers > 1) {
    if (options.accept) {
      throw new TypeError(
        "Cannot use an accept function with workers: give access lists",
      );
    }
    // Loaded only for workers: a one-loop server does not pay for it.
    const { serveOnWorkers } = await import("./_greeting_workers.ts");
    return noFork(
      options.trace,
      await serveOnWorkers(workers, access, {
        ...options,
        port,
        message,
        accept: allowed && ((peer) => allowed(peer.hostname)),
      }),
    );
  }
  const accept = options.accept;
  return noFork(
    options.trace,
    await greetLoop({
      ...options,
      port,
      message,
      accept: allowed
        ? (peer) => allowed(peer.hostname) && (!accept || accept(peer))
        : accept,
    }),
  );
}

// The guide's server forks a process per connection; say once that this
// one does not.
async function noFork(
  trace: Trace | undefined,
  server: GreetingServer,
): Promise<GreetingServer> {
  (await tracerFor(trace))?.noFork();
  return server;
}
