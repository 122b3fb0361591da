// Private to cmd/: a tool's exit codes as one table. Each row is a code,
// what it means (the help's "exit status" line) and what leads to it: an
// error class the run may throw, or an Outcome the run returns (or the
// edge decides: a usage mistake, a failed stdout, a signal). Nothing else
// decides an exit code.

/**
 * What a run ended with that is not an error of its own class: `DONE`, a
 * signal, a failed stdout. A run returns one, or throws.
 */
export class Outcome {
  /** What it is, for messages. */
  readonly name: string;
  readonly #is: ((value: unknown) => boolean) | undefined;
  /**
   * @param name What it is.
   * @param is For an outcome that stands for errors of several classes
   *   (a refused permission): which errors.
   */
  constructor(name: string, is?: (value: unknown) => boolean) {
    this.name = name;
    this.#is = is;
  }
  /** Whether `value` is this outcome (or an error it stands for). */
  matches(value: unknown): boolean {
    return value === this || (this.#is?.(value) ?? false);
  }
}

/** The run did what it was asked. */
export const DONE: Outcome = new Outcome("done");
/** `--help` or `--version` printed. */
export const INFO: Outcome = new Outcome("help or version");
/** Stdout could not be written. */
export const STDOUT_FAILED: Outcome = new Outcome("stdout failed");
/** Stdout's reader went away (EPIPE). */
export const READER_GONE: Outcome = new Outcome("stdout's reader went away");

/** The signals that stop a tool. */
export type StopSignalName = "SIGHUP" | "SIGINT" | "SIGTERM";

/** A tool stopped by each signal, before its work was done. */
export const STOPPED_BY: Readonly<Record<StopSignalName, Outcome>> = {
  SIGHUP: new Outcome("stopped by SIGHUP"),
  SIGINT: new Outcome("stopped by SIGINT"),
  SIGTERM: new Outcome("stopped by SIGTERM"),
};

/** What leads to an exit code: an error class, or an outcome. */
export type Cause = Outcome | (abstract new (...args: never[]) => unknown);

/** One exit code of a tool. */
export interface ExitCode {
  /** The code. */
  code: number;
  /** What it means, for the help (a `\n` starts a continuation line). */
  meaning: string;
  /** What leads to it. */
  causes: readonly Cause[];
}

/** A row of an exit-code table. */
export function exit(
  code: number,
  meaning: string,
  ...causes: Cause[]
): ExitCode {
  return { code, meaning, causes };
}

/**
 * The rows of a tool stopped by SIGHUP, SIGINT or SIGTERM before its work
 * was done: 128 + N for signal N, as a shell reports a program killed by it.
 *
 * @param what What was stopped: `"the read"`.
 */
export function stoppedExits(what: string): ExitCode[] {
  return [
    exit(129, `SIGHUP stopped ${what}`, STOPPED_BY.SIGHUP),
    exit(130, `SIGINT stopped ${what}`, STOPPED_BY.SIGINT),
    exit(143, `SIGTERM stopped ${what}`, STOPPED_BY.SIGTERM),
  ];
}

/**
 * A timeout: the library's one kind, a DOMException named "TimeoutError"
 * (as `AbortSignal.timeout()` rejects with).
 */
export const TIMED_OUT: Outcome = new Outcome(
  "timed out",
  (value) => value instanceof DOMException && value.name === "TimeoutError",
);

/** The row of a stdout whose reader went away: 141, a shell's for SIGPIPE. */
export const READER_GONE_EXIT: ExitCode = exit(
  141,
  "stdout's reader went away (as SIGPIPE would)",
  READER_GONE,
);

function isCause(cause: Cause, value: unknown): boolean {
  return cause instanceof Outcome
    ? cause.matches(value)
    : value instanceof cause;
}

/**
 * The exit code the table gives `value` (an outcome, or an error thrown),
 * or `undefined` when no row names it.
 */
export function exitCodeOf(
  table: readonly ExitCode[],
  value: unknown,
): number | undefined {
  return table.find((row) => row.causes.some((c) => isCause(c, value)))?.code;
}

/**
 * The exit code of an outcome a run returned, which its table must name.
 *
 * @throws {TypeError} When the table has no row for it: a bug.
 */
export function exitCodeFor(
  table: readonly ExitCode[],
  outcome: Outcome,
): number {
  const code = exitCodeOf(table, outcome);
  if (code === undefined) {
    throw new TypeError(`No exit code for "${outcome.name}"`);
  }
  return code;
}
