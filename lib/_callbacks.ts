// Private to lib/: calling a user's callbacks from a server's loops. A
// callback may be async; its promise is awaited where the caller waits for
// it. A throw or a rejection is the resource's failure, never an exception
// thrown into the library's own machinery (an event listener, a finally).

import type { Trace } from "./trace.ts";

import { isThenable } from "./_check.ts";

export { isThenable };

/**
 * The user's trace, made safe to call from anywhere: what it throws, or the
 * rejection of a promise it returns, goes to `onError` instead.
 */
export function guardTrace(
  trace: Trace,
  onError: (error: unknown) => void,
): Trace {
  return (event) => {
    try {
      const result: unknown = trace(event);
      if (isThenable(result)) result.then(undefined, onError);
    } catch (error) {
      onError(error);
    }
  };
}
