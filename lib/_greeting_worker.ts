// Private to lib/: one worker of serveGreeting({ workers }). It runs its own
// accept loop on the shared port (SO_REUSEPORT) and reports its events to the
// thread that started it as the messages of _worker_protocol.ts.

// Its modules are imported when it starts, not statically: a worker whose
// modules cannot be read (the read permission is checked for each) then
// says so as a "failed" message, instead of dying with an uncaught error.
import type {
  PlainPeer,
  WorkerReport,
  WorkerRequest,
} from "./_worker_protocol.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReport): void;
};
const controller = new AbortController();
const failing = new AbortController();
const post = (message: WorkerReport): void => scope.postMessage(message);
const plain = (addr: Deno.NetAddr): PlainPeer => ({
  hostname: addr.hostname,
  port: addr.port,
});

// Connections are reported in batches, at most every 5 ms: one message per
// connection costs the worker more than the connection itself.
let connections: PlainPeer[] = [];
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
    if (request.now) failing.abort(new Error("Stopped: another loop failed"));
    controller.abort();
    return;
  }
  let describeError = (error: unknown): string =>
    error instanceof Error ? error.message : String(error);
  try {
    const [{ greetLoop }, { accessList }, errors] = await Promise.all([
      import("./_greeting_loop.ts"),
      import("./access_list.ts"),
      import("./errors.ts"),
    ]);
    describeError = errors.describeError;
    const allowed = accessList(request.access);
    const server = await greetLoop({
      port: request.port,
      hostname: request.hostname,
      family: request.family,
      message: request.message,
      maxConnections: request.maxConnections,
      shutdownTimeout: request.shutdownTimeout,
      reusePort: true,
      signal: controller.signal,
      failSignal: failing.signal,
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
      // A payload view would clone its whole buffer: send a copy.
      trace: request.report.trace
        ? (event) =>
          post({
            type: "trace",
            event: event.data ? { ...event, data: event.data.slice() } : event,
          })
        : undefined,
    });
    post({ type: "listening" });
    await server.finished;
    flushConnections();
    post({ type: "finished" });
  } catch (error) {
    const message = describeError(error);
    post({
      type: "failed",
      message,
      // A module it may not read fails its import with a TypeError.
      permission: error instanceof Deno.errors.NotCapable ||
        /^Requires \w+ access/.test(message),
    });
  }
};
