/**
 * A stream server that greets every connection and closes it: Beej's
 * `server.c` without a process per client. See {@linkcode serveGreeting}
 * for how it serves, stops and fails.
 *
 * @module
 */

import { requireUnstableNet } from "./_bind.ts";
import { greetLoop } from "./_greeting_loop.ts";
import {
  checkFamily,
  checkFunction,
  checkMilliseconds,
  checkOptions,
  checkPort,
  checkPositiveInteger,
  checkSignal,
  checkString,
} from "./_check.ts";
import {
  accessList,
  type AccessListOptions,
  type Cidr,
  parseCidr,
} from "./access_list.ts";
import { GREETING } from "./constants.ts";
import type { IpFamily } from "./ip.ts";
import type { Trace } from "./trace.ts";
import { tracerFor } from "./errors.ts";

/**
 * Options for {@linkcode serveGreeting}. Every callback may be async: what
 * each one's promise holds up is said with it. A callback that throws, or
 * whose promise rejects, stops the server (see {@linkcode serveGreeting}).
 */
export interface ServeGreetingOptions {
  /**
   * The port, an integer 0-65535; `0` for any free port (read the real one
   * from `addr`). @default {0}
   */
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
  /**
   * At most this many greetings in flight (per loop), a positive integer;
   * the rest wait in the backlog. Unlimited by default.
   */
  maxConnections?: number;
  /**
   * How many accept loops, a positive integer: this thread plus
   * `workers - 1` worker threads, sharing the port with `SO_REUSEPORT`. Above
   * 1 it needs Deno's `--unstable-net` (else {@linkcode UnstableNetError})
   * and, under `deno run`, the read permission for the workers' module.
   * @default {1}
   */
  workers?: number;
  /**
   * Peers to serve and refuse, as prefixes (see {@linkcode accessList});
   * parsed once and handed to every worker. Refused peers are closed unsent.
   */
  access?: AccessListOptions;
  /**
   * Decides, synchronously, whether a peer is served, after `access`;
   * refused peers are closed unsent. A function cannot reach a worker: only
   * with one loop.
   */
  accept?: (peer: Deno.NetAddr) => boolean;
  /**
   * Stops the server, as {@linkcode GreetingServer.close} does. Already
   * aborted, {@linkcode serveGreeting} rejects with its `reason`.
   */
  signal?: AbortSignal;
  /**
   * How long connections in flight may take after a stop, in ms (finite,
   * 0 or more); then they are closed. @default {1500}
   */
  shutdownTimeout?: number;
  /**
   * Called for each peer that will be greeted, before its greeting is sent;
   * a promise it returns is awaited before the send (the connection counts
   * as in flight meanwhile). With `workers`, it runs on this thread once the
   * loop that served the peer reports it (in batches, after the send): its
   * promise then delays nothing but `finished`.
   */
  onConnection?: (peer: Deno.NetAddr) => void;
  /**
   * Called for each peer that `access`, `accept` or `family: 6` refused,
   * after it is closed; accepting goes on meanwhile, and `finished` waits
   * for the promise it returns.
   */
  onRefused?: (peer: Deno.NetAddr) => void;
  /**
   * Called when sending to a peer fails (it reset the connection, say); the
   * connection is closed once its promise settles.
   */
  onSendError?: (peer: Deno.NetAddr, error: unknown) => void;
  /**
   * Called when `accept()` starts failing (once per episode: failures less
   * than 2 s apart are one); the server backs off and keeps trying, after
   * awaiting its promise.
   */
  onAcceptError?: (error: unknown) => void;
  /**
   * Receives each socket call as it is made — the listening socket's, each
   * connection's, the workers' — and, once, that there is no `fork()` (see
   * {@linkcode TraceEvent}). Nothing is traced, at no cost, without it.
   */
  trace?: Trace;
}

/**
 * A running server. `await using` closes it at the end of the scope.
 */
export interface GreetingServer extends AsyncDisposable {
  /** The address the server is bound to, with the real port. */
  readonly addr: Deno.NetAddr;
  /**
   * Resolves when the server has stopped (every loop, with workers) and
   * every connection is closed. Rejects, once every socket is closed, with
   * what a callback threw (or its promise rejected with), as it was thrown.
   * A rejection nobody awaits does not end the process.
   */
  readonly finished: Promise<void>;
  /**
   * Stop the server, as aborting `signal` does: no more accepts, the
   * connections in flight finish (for at most `shutdownTimeout` ms). Calling
   * it again changes nothing.
   *
   * @returns A promise that resolves when every socket is closed; it does
   *   not reject (a callback's failure is `finished`'s to report).
   */
  close(): Promise<void>;
}

/**
 * Start a greeting server: it sends `message` to every connection and closes
 * it. Connections are served concurrently (at most `maxConnections` at a
 * time, per loop); accept errors (such as running out of file descriptors)
 * are reported to `onAcceptError` and survived, with a back-off.
 *
 * With `workers` above 1, several threads each run an accept loop on the
 * same port (`SO_REUSEPORT`) and the kernel spreads connections over them;
 * the callbacks (functions cannot cross threads) run on the thread that
 * started the server, from the loops' reports.
 *
 * It stops on `close()`, at the end of an `await using` scope, or when
 * `signal` aborts: no more accepts, and the connections in flight finish, or
 * are closed `shutdownTimeout` ms later; then `finished` resolves.
 *
 * A callback that throws, or whose promise rejects (the first one), is the
 * server's failure: it stops accepting, closes every connection at once,
 * and `finished` rejects with that error, unchanged. Nothing is thrown into
 * the event loop, and no socket is left open.
 *
 * @param options Where to listen, what to send, how many loops and how to
 *   stop. The port defaults to `0`: any free port.
 * @returns The running server: its address, a `finished` promise and
 *   `close()`.
 * @throws {TypeError} When an option has the wrong type, or `accept` is
 *   given with more than one worker.
 * @throws {RangeError} When `port` is not an integer 0-65535, `family` not
 *   0, 4 or 6, `maxConnections` or `workers` not a positive integer, or
 *   `shutdownTimeout` not a finite number 0 or more.
 * @throws {SyntaxError | RangeError} When a prefix in `access` does not parse.
 * @throws {UnstableNetError} When `workers` is above 1 and Deno runs without
 *   `--unstable-net`: checked before the read permission the workers need.
 * @throws {BindError} When no candidate address could be bound; it lists
 *   each address and its error.
 * @throws {ResolveError} When `hostname` does not resolve.
 * @throws {Deno.errors.NotCapable} When the net permission is missing, or
 *   `workers` is above 1 and the read permission for the workers' module is.
 * @throws {Error} When a worker cannot start; the others are stopped.
 * @throws {unknown} `signal.reason`, when `signal` is aborted already or
 *   while the server starts; nothing is left bound.
 *
 * @example Serve one client, closed by `await using`
 * ```ts
 * import { serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = await serveGreeting({ hostname: "127.0.0.1" });
 * const conn = await Deno.connect({ port: server.addr.port });
 * const reply = await new Response(conn.readable).text();
 * assertEquals(reply, "Hello, world!");
 * ```
 *
 * @example Stop with a signal and wait for the end
 * ```ts
 * import { serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const controller = new AbortController();
 * const peers: string[] = [];
 * const server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   signal: controller.signal,
 *   onConnection: (peer) => {
 *     peers.push(peer.hostname);
 *   },
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * await new Response(conn.readable).text();
 * controller.abort();
 * await server.finished;
 * assertEquals(peers, ["127.0.0.1"]);
 * ```
 *
 * @example A callback that throws rejects `finished`
 * ```ts
 * import { serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   onConnection: () => {
 *     throw new Error("no logging today");
 *   },
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * assertEquals(await new Response(conn.readable).text(), "");
 * await assertRejects(() => server.finished, Error, "no logging today");
 * ```
 *
 * @example Two accept loops on one port
 * ```ts
 * import { serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   workers: 2,
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * assertEquals(await new Response(conn.readable).text(), "Hello, world!");
 * ```
 */
export async function serveGreeting(
  options: ServeGreetingOptions = {},
): Promise<GreetingServer> {
  checkOptions("serveGreeting()", options);
  checkPort(options.port);
  const port = options.port ?? 0;
  checkString("hostname", options.hostname);
  checkFamily(options.family);
  checkPositiveInteger("maxConnections", options.maxConnections);
  checkPositiveInteger("workers", options.workers);
  checkMilliseconds("shutdownTimeout", options.shutdownTimeout);
  checkSignal(options.signal);
  for (
    const name of [
      "accept",
      "onConnection",
      "onRefused",
      "onSendError",
      "onAcceptError",
      "trace",
    ] as const
  ) checkFunction(name, options[name]);
  const given = options.message;
  if (
    given !== undefined && typeof given !== "string" &&
    !(given instanceof Uint8Array)
  ) {
    throw new TypeError("Invalid message: must be a string or a Uint8Array");
  }
  const lists = options.access;
  checkOptions("access", lists);
  for (const name of ["allow", "deny"] as const) {
    if (lists?.[name] !== undefined && !Array.isArray(lists[name])) {
      throw new TypeError(`Invalid access.${name}: must be an array`);
    }
  }
  const workers = options.workers ?? 1;
  if (workers > 1 && options.accept) {
    throw new TypeError(
      "Cannot use an accept function with workers: give access lists",
    );
  }
  // Parsed once, here; workers get the parsed prefixes.
  const parse = (p: string | Cidr): Cidr =>
    typeof p === "string" ? parseCidr(p) : p;
  const access = {
    allow: (options.access?.allow ?? []).map(parse),
    deny: (options.access?.deny ?? []).map(parse),
  };
  const allowed = accessList(access);
  options.signal?.throwIfAborted();
  const message = typeof given === "string"
    ? new TextEncoder().encode(given)
    : given ?? new TextEncoder().encode(GREETING);
  if (workers > 1) {
    // The flag first: without it nothing else about workers matters (not
    // even the read permission their module needs).
    requireUnstableNet("Deno.listen({ reusePort: true })");
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
  if (!trace) return server;
  let failure: { error: unknown } | undefined;
  (await tracerFor(trace, (error) => failure ??= { error })).noFork();
  if (failure) {
    // A trace that throws fails the start: nothing is left bound.
    await server.close();
    throw failure.error;
  }
  return server;
}
