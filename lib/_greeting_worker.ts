// Private to lib/: one worker of serveGreetingWorkers(). It runs its own
// greeting server on the shared port (SO_REUSEPORT) and reports its events to
// the thread that started it as plain messages.

import { accessList } from "./access_list.ts";
import { describeError } from "./errors.ts";
import { serveGreeting } from "./greeting_server.ts";
import type { WorkerReport, WorkerRequest } from "./greeting_workers.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReport): void;
};
const controller = new AbortController();
const post = (message: WorkerReport): void => scope.postMessage(message);
const plain = (addr: Deno.NetAddr): { hostname: string; port: number } => ({
  hostname: addr.hostname,
  port: addr.port,
});

// Connections are reported in batches, at most every 5 ms: one message per
// connection costs the worker more than the connection itself.
let connections: { hostname: string; port: number }[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
const flushConnections = (): void => {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (connections.length === 0) return;
  post({ type: "connections", peers: connections });
  connections = [];
};
const reportConnection = (peer: Deno.NetAddr): void => {
  connections.push(plain(peer));
  timer ??= setTimeout(flushConnections, 5);
};

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.type === "stop") {
    controller.abort();
    return;
  }
  try {
    const allowed = accessList(request.access);
    const server = await serveGreeting({
      ...request.options,
      reusePort: true,
      signal: controller.signal,
      accept: allowed && ((peer) => allowed(peer.hostname)),
      onConnection: request.report.connection ? reportConnection : undefined,
      onRefused: request.report.refused
        ? (peer) => post({ type: "refused", peer: plain(peer) })
        : undefined,
      onSendError: (peer, error) =>
        post({
          type: "send-error",
          peer: plain(peer),
          message: describeError(error),
        }),
      onAcceptError: (error) =>
        post({ type: "accept-error", message: describeError(error) }),
    });
    post({ type: "listening" });
    await server.finished;
    flushConnections();
    post({ type: "finished" });
  } catch (error) {
    post({ type: "failed", message: describeError(error) });
  }
};
