// Private to lib/: waiting with a limit or a signal, without a JSR package in
// the tools' module graph (each one named costs a one-shot tool its
// resolution at start-up). Timeouts reject with a DOMException named
// "TimeoutError", as `AbortSignal.timeout()` and `@std/async` do: the one
// timeout convention of the library.

/** A DOMException named `"TimeoutError"`, the library's one kind of timeout. */
export function timeoutError(ms: number): DOMException {
  return new DOMException(`Timed out after ${ms} ms`, "TimeoutError");
}

/** Whether `error` is a timeout: a DOMException named `"TimeoutError"`. */
export function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/**
 * `promise`, or `signal.reason` once the signal aborts, whichever is first.
 * The promise itself is not cancelled: the caller closes what it waits on.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}

/**
 * `promise`, or a `TimeoutError` DOMException after `ms` milliseconds, or
 * `signal.reason` if it aborts first. The timer is cleared as soon as the
 * race is decided.
 */
export function deadline<T>(
  promise: Promise<T>,
  ms: number,
  options: { signal?: AbortSignal } = {},
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    };
    const abort = (): void => {
      done();
      promise.catch(() => {});
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      promise.catch(() => {});
      reject(timeoutError(ms));
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (error) => {
        done();
        reject(error);
      },
    );
  });
}

/** Wait `ms` milliseconds; rejects with `signal.reason` if it aborts first. */
export function delay(
  ms: number,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
  });
}
