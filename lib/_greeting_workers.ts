// Private to lib/: serveGreeting() with workers. This thread runs the first
// accept loop; each worker (_greeting_worker.ts) runs another on the same
// address and port with SO_REUSEPORT, and reports its events here as the
// messages of _worker_protocol.ts. The callbacks run here, on this thread: a
// callback that throws or rejects stops every loop, and `finished` rejects
// with that error.

import { isThenable } from "./_callbacks.ts";
import { running } from "./_running.ts";
import { greetLoop, type LoopOptions } from "./_greeting_loop.ts";
import type {
  PlainPeer,
  WorkerReport,
  WorkerStart,
} from "./_worker_protocol.ts";
import type { Cidr } from "./access_list.ts";
import type { GreetingServer } from "./greeting_server.ts";

const WORKER_MODULE = new URL("./_greeting_worker.ts", import.meta.url);

/**
 * Never called: importing the worker module would run it on this thread.
 * Deno's module graph does not follow `new Worker(url)`, but it follows a
 * dynamic `import()` of a literal specifier without running it, so this one
 * puts the worker module in the graph that `deno install`, `deno cache` and
 * `deno compile` fetch: the first run with workers finds it in the cache,
 * offline too. This module is itself loaded only for workers.
 */
export function workerModuleInGraph(): Promise<unknown> {
  return import("./_greeting_worker.ts");
}

// A worker loads its modules (lib/) with the read permission; without it Deno
// prints an uncaught error of the worker's, so refuse first, in one line.
// (A compiled binary may read its own embedded modules.)
function checkWorkerPermission(): void {
  if (WORKER_MODULE.protocol !== "file:") return;
  // The worker's module graph is the library's folder: ask for all of it, so
  // that the grant the message names is one that works.
  const path = new URL("./", WORKER_MODULE).pathname;
  if (
    Deno.permissions.querySync({ name: "read", path }).state !== "granted"
  ) {
    throw new Deno.errors.NotCapable(
      `Requires read access to "${path}" to start workers`,
    );
  }
}

const toPeer = (p: PlainPeer): Deno.NetAddr => ({ transport: "tcp", ...p });

/** Start `count` accept loops: this thread's and `count - 1` workers'. */
export async function serveOnWorkers(
  count: number,
  access: { allow: Cidr[]; deny: Cidr[] },
  options: LoopOptions,
): Promise<GreetingServer> {
  checkWorkerPermission();
  const signal = options.signal;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const failing = new AbortController();
  const stopFirst = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", stopFirst, { once: true });
  let first: GreetingServer;
  try {
    first = await greetLoop({
      ...options,
      signal: controller.signal,
      failSignal: failing.signal,
      reusePort: true,
    });
  } finally {
    signal?.removeEventListener("abort", stopFirst);
  }

  const workers: Worker[] = [];
  const started: Promise<void>[] = [];
  // Every loop's end, none of them rejecting: a failure is recorded instead.
  const finished: Promise<void>[] = [];
  // Promises of async callbacks not yet settled: `finished` waits for them.
  const pending = new Set<PromiseLike<unknown>>();
  let failure: { error: unknown } | undefined;
  const stopAll = (now = false): void => {
    controller.abort();
    for (const worker of workers) worker.postMessage({ type: "stop", now });
  };
  // A failure closes every loop's connections at once.
  const fail = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    failing.abort(error);
    stopAll(true);
  };
  finished.push(first.finished.then(() => {}, fail));
  // Calls a callback of the caller's; a throw or a rejection stops all.
  const call = <A extends unknown[]>(
    callback: ((...args: A) => unknown) | undefined,
    ...args: A
  ): void => {
    if (!callback || failure) return;
    try {
      const result = callback(...args);
      if (!isThenable(result)) return;
      pending.add(result);
      result.then(() => pending.delete(result), (error) => {
        pending.delete(result);
        fail(error);
      });
    } catch (error) {
      fail(error);
    }
  };

  const start: WorkerStart = {
    type: "start",
    port: first.addr.port,
    hostname: first.addr.hostname,
    family: options.family,
    message: options.message,
    maxConnections: options.maxConnections,
    shutdownTimeout: options.shutdownTimeout,
    access,
    report: {
      connection: options.onConnection !== undefined,
      refused: options.onRefused !== undefined,
      trace: options.trace !== undefined,
    },
  };
  for (let i = 1; i < count; i++) {
    const worker = new Worker(WORKER_MODULE, { type: "module" });
    workers.push(worker);
    const { promise: ready, resolve: onReady, reject: onFail } = Promise
      .withResolvers<void>();
    const { promise: done, resolve: onDone } = Promise.withResolvers<void>();
    let listening = false;
    // Before it listens, a worker's failure fails the start; after, the server.
    const failed = (error: Error): void => {
      if (listening) fail(error);
      else onFail(error);
      onDone();
    };
    started.push(ready);
    finished.push(done.finally(() => worker.terminate()));
    worker.onmessage = (event: MessageEvent<WorkerReport>) => {
      const report = event.data;
      switch (report.type) {
        case "listening":
          listening = true;
          return onReady();
        case "finished":
          return onDone();
        case "failed":
          // A permission the worker lacked stays a permission error.
          return failed(
            report.permission
              ? new Deno.errors.NotCapable(report.message)
              : new Error(report.message),
          );
        case "connections":
          for (const one of report.peers) {
            call(options.onConnection, toPeer(one));
          }
          return;
        case "refused":
          return call(options.onRefused, toPeer(report.peer));
        case "send-error":
          return call(
            options.onSendError,
            toPeer(report.peer),
            new Error(report.message),
          );
        case "accept-error":
          return call(options.onAcceptError, new Error(report.message));
        case "trace":
          return call(options.trace, { ...report.event, thread: i });
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      failed(new Error(event.message));
    };
    worker.postMessage(start);
  }
  const stopOnAbort = (): void => stopAll();
  signal?.addEventListener("abort", stopOnAbort, { once: true });
  const settle = async (): Promise<void> => {
    await Promise.all(finished);
    while (pending.size > 0) await Promise.allSettled(pending);
    signal?.removeEventListener("abort", stopOnAbort);
  };
  try {
    await Promise.all(started);
  } catch (error) {
    stopAll();
    await settle();
    throw failure ? failure.error : error;
  }
  // Aborted while the workers started: as if before the start.
  if (signal?.aborted) {
    stopAll();
    await settle();
    throw signal.reason;
  }
  const all = settle().then(() => {
    if (failure) throw failure.error;
  });
  return running(first.addr, all, stopAll);
}
