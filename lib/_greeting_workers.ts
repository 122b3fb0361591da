// Private to lib/: serveGreeting() with workers. This thread runs the first
// accept loop; each worker (_greeting_worker.ts) runs another on the same
// address and port with SO_REUSEPORT, and reports its events here as the
// messages of _worker_protocol.ts.

import { greetLoop, type LoopOptions } from "./_greeting_loop.ts";
import type {
  PlainPeer,
  WorkerReport,
  WorkerStart,
} from "./_worker_protocol.ts";
import type { Cidr } from "./access_list.ts";
import type { GreetingServer } from "./greeting_server.ts";

const WORKER_MODULE = new URL("./_greeting_worker.ts", import.meta.url);

// A worker loads its modules with the read permission; without it Deno
// prints an uncaught error of the worker's, so refuse first, in one line.
// (A compiled binary may read its own embedded modules.)
function checkWorkerPermission(): void {
  if (WORKER_MODULE.protocol !== "file:") return;
  const path = WORKER_MODULE.pathname;
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
  const controller = new AbortController();
  const stopFirst = (): void => controller.abort();
  options.signal?.addEventListener("abort", stopFirst, { once: true });
  if (options.signal?.aborted) stopFirst();
  let first: GreetingServer;
  try {
    first = await greetLoop({
      ...options,
      signal: controller.signal,
      reusePort: true,
    });
  } finally {
    options.signal?.removeEventListener("abort", stopFirst);
  }

  const workers: Worker[] = [];
  const finished: Promise<void>[] = [first.finished];
  const started: Promise<void>[] = [];
  const stopAll = (): void => {
    controller.abort();
    for (const worker of workers) worker.postMessage({ type: "stop" });
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
          // A permission the worker lacked stays a permission error.
          onFail(
            report.permission
              ? new Deno.errors.NotCapable(report.message)
              : new Error(report.message),
          );
          return onDone();
        case "connections":
          for (const one of report.peers) options.onConnection?.(toPeer(one));
          return;
        case "refused":
          return options.onRefused?.(toPeer(report.peer));
        case "send-error":
          return options.onSendError?.(
            toPeer(report.peer),
            new Error(report.message),
          );
        case "accept-error":
          return options.onAcceptError?.(new Error(report.message));
        case "trace":
          return options.trace?.({ ...report.event, thread: i });
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      onFail(new Error(event.message));
      onDone();
    };
    worker.postMessage(start);
  }
  options.signal?.addEventListener("abort", stopAll, { once: true });
  if (options.signal?.aborted) stopAll();
  try {
    await Promise.all(started);
  } catch (error) {
    stopAll();
    await Promise.all(finished);
    options.signal?.removeEventListener("abort", stopAll);
    throw error;
  }
  return {
    addr: first.addr,
    finished: Promise.all(finished).then(() => {
      options.signal?.removeEventListener("abort", stopAll);
    }),
  };
}
