// Private to cmd/: the signals that stop a tool — SIGINT, SIGTERM and
// SIGHUP (SIGINT alone on Windows) abort an AbortController — and what a run
// stopped by one returns. The listeners are added only when a run needs
// them: a one-shot tool's start-up pays for each.

import {
  type Outcome,
  STOPPED_BY,
  type StopSignalName,
} from "./_exit_codes.ts";
import type { Output } from "./_output.ts";

/** The reason of a tool's stop signal when a signal stopped it. */
export class Stopped extends Error {
  /** The signal. */
  readonly signal: StopSignalName;
  /** @param signal The signal. */
  constructor(signal: StopSignalName) {
    super(`Stopped by ${signal}`);
    this.name = "Stopped";
    this.signal = signal;
  }
}

/**
 * What stops a tool: SIGINT, SIGTERM and SIGHUP, or, in tests, the caller's
 * signal instead. Its {@linkcode Stop.signal} is aborted once a signal has
 * come, after {@linkcode Stop.arm} added the listeners. Dispose of it to
 * remove them.
 */
export class Stop implements Disposable {
  readonly #controller = new AbortController();
  readonly #given: AbortSignal | undefined;
  readonly #listeners: [Deno.Signal, () => void][] = [];
  #armed = false;

  /** @param given The caller's signal, which stands for the signals. */
  constructor(given: AbortSignal | undefined) {
    this.#given = given;
  }

  /** Aborted by a signal (or the caller's signal). */
  get signal(): AbortSignal {
    return this.#given ?? this.#controller.signal;
  }

  /**
   * What a run stopped by the signal returns: {@linkcode STOPPED_BY} the
   * signal (SIGINT for the caller's signal).
   */
  get outcome(): Outcome {
    const reason = this.signal.reason;
    return STOPPED_BY[reason instanceof Stopped ? reason.signal : "SIGINT"];
  }

  /** Add the signal listeners (once; none with the caller's signal). */
  arm(): void {
    if (this.#armed || this.#given !== undefined) return;
    this.#armed = true;
    // Windows has SIGINT (and SIGBREAK) only.
    const names: StopSignalName[] = Deno.build.os === "windows"
      ? ["SIGINT"]
      : ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const name of names) {
      const stop = (): void => this.#controller.abort(new Stopped(name));
      Deno.addSignalListener(name, stop);
      this.#listeners.push([name, stop]);
    }
  }

  /**
   * Arm once `pending` has to be waited for: not when it has settled by
   * the end of the current task (a read whose data is there already).
   */
  armWhilePending(pending: Promise<unknown>): void {
    if (this.#armed) return;
    let settled = false;
    const settle = (): void => void (settled = true);
    pending.then(settle, settle);
    queueMicrotask(() => {
      if (!settled) this.arm();
    });
  }

  /** Remove the listeners. */
  [Symbol.dispose](): void {
    for (const [name, stop] of this.#listeners) {
      Deno.removeSignalListener(name, stop);
    }
    this.#listeners.length = 0;
  }
}

/** A long-running tool's stop: the signals, armed at once, or stdout failing. */
export interface RunStop extends Disposable {
  /** Aborted by a signal (or the caller's signal), or a failed stdout. */
  readonly signal: AbortSignal;
  /** What a run stopped by a signal returns (see {@linkcode Stop.outcome}). */
  readonly outcome: Outcome;
}

/**
 * What stops a long-running tool: the signals (or, in tests, the caller's
 * `given` signal instead), listened to at once, and `out` failing.
 */
export function stopSignal(
  out: Output,
  given: AbortSignal | undefined,
): RunStop {
  const stop = new Stop(given);
  stop.arm();
  const signal = AbortSignal.any([stop.signal, out.failed]);
  return {
    signal,
    get outcome(): Outcome {
      return stop.outcome;
    },
    [Symbol.dispose]: () => stop[Symbol.dispose](),
  };
}
