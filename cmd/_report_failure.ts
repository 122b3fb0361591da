// Private to cmd/: what a tool prints for an error its body threw, loaded
// on the first failure only (a one-shot run that succeeds never needs it).

import { describeError, isPermissionError } from "../lib/errors.ts";
import { type ExitCode, exitCodeOf } from "./_exit_codes.ts";
import { CallError, type Failure, failure } from "./_failures.ts";
import type { Output } from "./_output.ts";

/**
 * The rows every tool shares, after its own: a permission Deno refused is
 * one line naming the flag that grants it; a failed call of the tool's own
 * is `call: reason`.
 */
const COMMON_FAILURES: readonly Failure[] = [
  {
    is: (error): error is Error => isPermissionError(error),
    report: (out, error) =>
      out.error("permission denied", withFlagHint(describeError(error))),
  },
  failure(CallError, (out, error) => out.perror(error.call, error.cause)),
];

/** Deno names the flag in its own messages; the library's need it added. */
function withFlagHint(message: string): string {
  if (message.includes("--allow-")) return message;
  const asked = message.match(/Requires (\w+) access to "([^"]*)"/);
  return asked
    ? `${message}, run again with --allow-${asked[1]}=${asked[2]}`
    : message;
}

/**
 * Report `error` by the first row of `table`, then the common rows, that
 * takes it; its exit code from `exits`. Nothing is printed, and the result
 * is `undefined`, when no row or no exit code takes it (a bug, rethrown).
 */
export function reportFailure(
  out: Output,
  exits: readonly ExitCode[],
  table: readonly Failure[],
  error: unknown,
): number | undefined {
  const row = [...table, ...COMMON_FAILURES].find((r) => r.is(error));
  const code = exitCodeOf(exits, error);
  if (!row || code === undefined) return undefined;
  row.report(out, error);
  return code;
}
