/**
 * Serve greetings on several threads at once: each runs its own accept loop
 * on a socket bound to the same address and port with `SO_REUSEPORT`, and the
 * kernel spreads connections over them. Events reach the caller's callbacks on
 * the thread that started the workers.
 *
 * @module
 */

import { accessList, type AccessListOptions } from "./access_list.ts";
import {
  type GreetingServer,
  serveGreeting,
  type ServeGreetingOptions,
} from "./greeting_server.ts";

const WORKER_MODULE = new URL("./_greeting_worker.ts", import.meta.url);

// A worker loads its modules with the read permission; without it Deno
// prints an uncaught error of the worker's, so refuse first, in one line.
function checkWorkerPermission(): void {
  if (WORKER_MODULE.protocol !== "file:") return;
  const dir = new URL(".", WORKER_MODULE).pathname;
  if (
    Deno.permissions.querySync({ name: "read", path: dir }).state !== "granted"
  ) {
    throw new Deno.errors.NotCapable(
      `Requires read access to "${dir}" to start workers, run again with --allow-read=${dir}`,
    );
  }
}

/** Options for {@linkcode serveGreetingWorkers}. */
export interface ServeGreetingWorkersOptions
  extends Omit<ServeGreetingOptions, "accept" | "reusePort"> {
  /** How many accept loops: this thread plus `workers - 1` workers. @default {1} */
  workers?: number;
  /** Peers to serve and refuse, as prefixes (see {@linkcode accessList}). */
  access?: AccessListOptions;
}

/** A message to a worker. @internal */
export type WorkerRequest =
  | {
    type: "start";
    options: Omit<
      ServeGreetingOptions,
      | "accept"
      | "reusePort"
      | "signal"
      | "onConnection"
      | "onRefused"
      | "onSendError"
      | "onAcceptError"
    >;
    access: AccessListOptions;
    report: { connection: boolean; refused: boolean };
  }
  | { type: "stop" };

/** A message from a worker. @internal */
export type WorkerReport =
  | { type: "listening" | "finished" }
  | { type: "failed" | "accept-error"; message: string }
  | { type: "connections"; peers: { hostname: string; port: number }[] }
  | { type: "refused"; peer: { hostname: string; port: number } }
  | {
    type: "send-error";
    peer: { hostname: string; port: number };
    message: string;
  };

/**
 * Start a greeting server with `workers` accept loops sharing one port.
 * With one worker (the default) this is {@linkcode serveGreeting} itself.
 *
 * @param options As for {@linkcode serveGreeting}, plus the number of
 *   workers and the access lists.
 * @returns The running server: the address (the first loop's) and a
 *   `finished` promise that waits for every worker.
 * @throws {BindError} When the first loop cannot bind.
 * @throws {Error} When a worker cannot start; the others are stopped.
 * @throws {Deno.errors.NotCapable} When `workers` is above 1 and the read
 *   permission for the workers' modules is missing.
 *
 * @example Two accept loops
 * ```ts
 * import { serveGreetingWorkers } from "./greeting_workers.ts";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const server = await serveGreetingWorkers({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   workers: 2,
 *   signal: controller.signal,
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * const reply = await new Response(conn.readable).text();
 * controller.abort();
 * await server.finished;
 * assert.equal(reply, "Hello, world!");
 * ```
 */
export async function serveGreetingWorkers(
  options: ServeGreetingWorkersOptions = {},
): Promise<GreetingServer> {
  const count = options.workers ?? 1;
  if (count > 1) checkWorkerPermission();
  const allowed = accessList(options.access ?? {});
  const controller = new AbortController();
  const stopFirst = (): void => controller.abort();
  options.signal?.addEventListener("abort", stopFirst, { once: true });
  if (options.signal?.aborted) stopFirst();
  const first = await serveGreeting({
    ...options,
    signal: controller.signal,
    reusePort: count > 1,
    accept: allowed && ((peer) => allowed(peer.hostname)),
  });
  if (count <= 1) {
    return {
      addr: first.addr,
      finished: first.finished.then(() => {
        options.signal?.removeEventListener("abort", stopFirst);
      }),
    };
  }
  options.signal?.removeEventListener("abort", stopFirst);

  const peer = (p: { hostname: string; port: number }): Deno.NetAddr => ({
    transport: "tcp",
    ...p,
  });
  const workers: Worker[] = [];
  const finished: Promise<void>[] = [first.finished];
  const started: Promise<void>[] = [];
  const stopAll = (): void => {
    controller.abort();
    for (const worker of workers) worker.postMessage({ type: "stop" });
  };
  for (let i = 1; i < count; i++) {
    const worker = new Worker(
      WORKER_MODULE,
      { type: "module" },
    );
    workers.push(worker);
    const { promise: ready, resolve: onReady, reject: onFail } = Promise
      .withResolvers<void>();
    const { promise: done, resolve: onDone } = Promise.withResolvers<void>();
    started.push(ready);
    finished.push(done.finally(() => worker.terminate()));
    worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      const report = event.data;
      switch (report.type) {
        case "listening":
          return onReady();
        case "finished":
          return onDone();
        case "failed":
          onFail(new Error(report.message));
          return onDone();
        case "connections":
          for (const one of report.peers) options.onConnection?.(peer(one));
          return;
        case "refused":
          return options.onRefused?.(peer(report.peer));
        case "send-error":
          return options.onSendError?.(
            peer(report.peer),
            new Error(report.message),
          );
        case "accept-error":
          return options.onAcceptError?.(new Error(report.message));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      onFail(new Error(event.message));
      onDone();
    };
    const request: WorkerRequest = {
      type: "start",
      options: {
        port: first.addr.port,
        hostname: first.addr.hostname,
        family: options.family,
        message: options.message,
        maxConnections: options.maxConnections,
        shutdownTimeout: options.shutdownTimeout,
      },
      access: options.access ?? {},
      report: {
        connection: options.onConnection !== undefined,
        refused: options.onRefused !== undefined,
      },
    };
    worker.postMessage(request);
  }
  options.signal?.addEventListener("abort", stopAll, { once: true });
  try {
    await Promise.all(started);
  } catch (error) {
    stopAll();
    await Promise.all(finished);
    throw error;
  }
  return {
    addr: first.addr,
    finished: Promise.all(finished).then(() => {
      options.signal?.removeEventListener("abort", stopAll);
    }),
  };
}
