// Private to lib/: the one way a library call asks for its tracer.
//
// Tracing costs nothing when it is off: without a trace callback no module
// is loaded, no event is made and no socket is wrapped. With one, the calls
// it stands for are in _trace_calls.ts, loaded now.

import type { Tracer } from "./_trace_calls.ts";
import type { Trace } from "./trace.ts";

export type { Tracer };

/**
 * The tracer of `trace`, or `undefined` without one. The same callback
 * always gets the same tracer, so its sockets are numbered in one sequence
 * across the calls it is given to.
 */
export async function tracerFor(trace: Trace): Promise<Tracer>;
export async function tracerFor(
  trace: Trace | undefined,
): Promise<Tracer | undefined>;
export async function tracerFor(
  trace: Trace | undefined,
): Promise<Tracer | undefined> {
  if (trace === undefined) return undefined;
  const { tracerOf } = await import("./_trace_calls.ts");
  return tracerOf(trace);
}
