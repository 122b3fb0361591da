// Private to lib/: the handle of a running resource (a server, a listener):
// its address, its `finished` promise and `close()`, which `await using`
// calls too.

/** What a running resource gives its caller. */
export interface Running<T> extends AsyncDisposable {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<T>;
  close(): Promise<void>;
}

/**
 * The handle of a resource that `stop()` stops and that has ended, every
 * socket closed, when `finished` settles. A rejection of `finished` nobody
 * awaits does not end the process; `close()` never rejects (a failure is
 * `finished`'s to report) and stops once, however often it is called.
 */
export function running<T>(
  addr: Deno.NetAddr,
  finished: Promise<T>,
  stop: () => void,
): Running<T> {
  finished.catch(() => {});
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    stop();
    return closed ??= finished.then(() => {}, () => {});
  };
  return { addr, finished, close, [Symbol.asyncDispose]: close };
}
