// Private to cmd/: why stdout could not be written — the reason of
// Output.failed, which stops a tool.

import { describeError } from "../lib/errors.ts";
import { lowerFirst } from "./_words.ts";

/**
 * Why stdout could not be written, as the reason of
 * `Output.failed` (cmd/_output.ts): the tool stops.
 */
export class StdoutFailure extends Error {
  /** Whether the reader went away (EPIPE): then the tool stops quietly. */
  readonly readerGone: boolean;
  /** @param cause What the write threw. */
  constructor(cause: unknown) {
    super(`stdout: ${lowerFirst(describeError(cause))}`, { cause });
    this.name = "StdoutFailure";
    this.readerGone = cause instanceof Deno.errors.BrokenPipe;
  }
}
