// Private to lib/: the messages between serveGreeting() and its workers
// (_greeting_workers.ts on the starting thread, _greeting_worker.ts on each
// worker). Only plain, structured-cloneable data crosses.

import type { Cidr } from "./access_list.ts";
import type { IpFamily } from "./ip.ts";
import type { TraceEvent } from "./trace.ts";

/** A peer's address as it crosses between threads. */
export interface PlainPeer {
  hostname: string;
  port: number;
}

/** What a worker needs to run its loop. */
export interface WorkerStart {
  type: "start";
  port: number;
  hostname: string;
  family?: IpFamily | 0;
  message: Uint8Array;
  maxConnections?: number;
  shutdownTimeout?: number;
  /** The access lists, already parsed on the starting thread. */
  access: { allow: Cidr[]; deny: Cidr[] };
  /** Which events the caller listens to (others are not sent). */
  report: { connection: boolean; refused: boolean; trace: boolean };
}

/**
 * A message to a worker: start; stop (connections in flight finish); or
 * stop `now`, closing them at once, because another loop failed.
 */
export type WorkerRequest = WorkerStart | { type: "stop"; now?: boolean };

/** A message from a worker. */
export type WorkerReport =
  | { type: "listening" | "finished" }
  | { type: "failed"; message: string; permission: boolean }
  | { type: "accept-error"; message: string }
  | { type: "connections"; peers: PlainPeer[] }
  | { type: "refused"; peer: PlainPeer }
  | { type: "send-error"; peer: PlainPeer; message: string }
  | { type: "trace"; event: TraceEvent };
