// Private to cmd/: how each error a run throws becomes its lines (each
// tool's failure table), and its exit code (each tool's exit-code table);
// and CallError, a failed system call of the tool's own.

import {
  BindError,
  describeError,
  isPermissionError,
  ResolveError,
} from "../lib/errors.ts";
import { formatHostPort } from "../lib/format_address.ts";
import {
  type ExitCode,
  exitCodeFor,
  Outcome,
  STDOUT_FAILED,
} from "./_exit_codes.ts";
import type { Output } from "./_output.ts";
import { StdoutFailure } from "./_stdout_failure.ts";

/**
 * A system call of the tool's own that failed (`recv`, `recvfrom`): printed
 * as `perror` would, `context: reason`.
 */
export class CallError extends Error {
  /** The call, as the reference names it in its `perror`. */
  readonly call: string;
  /**
   * @param call The call that failed.
   * @param cause What it threw.
   */
  constructor(call: string, cause: unknown) {
    super(`${call}: ${describeError(cause)}`, { cause });
    this.name = "CallError";
    this.call = call;
  }
}

/** `promise`, with a rejection named for the call it stands for. */
export async function during<T>(call: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new CallError(call, error);
  }
}

/** One row of a tool's failure table: which error, and its lines. */
export interface Failure<E = unknown> {
  /** Whether the row is for this error. */
  is: (error: unknown) => error is E;
  /** Write its lines. */
  report: (out: Output, error: E) => void;
}

/** A row for a class of error. */
export function failure<E>(
  type: abstract new (...args: never[]) => E,
  report: (out: Output, error: E) => void,
): Failure {
  return {
    is: (error): error is E => error instanceof type,
    report: report as (out: Output, error: unknown) => void,
  };
}

/** A name that does not resolve: `getaddrinfo: REASON`. */
export const RESOLVE_FAILURE: Failure = failure(
  ResolveError,
  (out, error) => out.perror("getaddrinfo", error),
);

/**
 * No address could be bound (server, listener): `bind: REASON` for each
 * address tried — with `-v`, `bind: ADDRESS:PORT: REASON` — then the
 * tool's own last line.
 */
export function bindFailure(
  last: string,
  config: { verbose: boolean; port: number },
): Failure {
  return failure(BindError, (out, error) => {
    for (const { address, error: cause } of error.failures) {
      const where = config.verbose
        ? `: ${formatHostPort(address, config.port)}`
        : "";
      out.error(`bind${where}`, cause);
    }
    out.stderr(last);
  });
}

/** A permission Deno refused, as an exit-code table names it. */
export const PERMISSION: Outcome = new Outcome(
  "permission refused",
  isPermissionError,
);

/**
 * Run a tool's body, which returns an outcome or throws; its exit-code
 * table says the code of either, its failure table (or the function that
 * builds it, called only on a failure) what a thrown error prints. Anything the tables do not expect is rethrown, as the bug it is:
 * it is not dressed up as a usage mistake. A stdout that failed decides
 * the outcome (see {@linkcode Output.stdoutOutcome}) whatever the body
 * returned, and what the body threw because of it is not reported again.
 */
export async function withFailures(
  out: Output,
  exits: readonly ExitCode[],
  table: readonly Failure[] | (() => readonly Failure[]),
  body: () => Promise<Outcome>,
): Promise<number> {
  let code: number | undefined;
  try {
    code = exitCodeFor(exits, await body());
  } catch (error) {
    if (!(error instanceof StdoutFailure)) {
      // Failures are rare: their rows and reporting load on the first.
      const { reportFailure } = await import("./_report_failure.ts");
      code = reportFailure(
        out,
        exits,
        typeof table === "function" ? table() : table,
        error,
      );
      if (code === undefined) {
        await out.close();
        throw error;
      }
    }
  }
  await out.close();
  const stdout = out.stdoutOutcome;
  if (stdout !== undefined) return exitCodeFor(exits, stdout);
  return code ?? exitCodeFor(exits, STDOUT_FAILED);
}
