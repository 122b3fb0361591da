// Private to cmd/: why stdout could not be written — the reason of
// Output.failed, which stops a tool.

/**
 * Why stdout could not be written, as the reason of
 * `Output.failed` (cmd/_output.ts): the tool stops.
 */
export class StdoutFailure extends Error {
  /** Whether the reader went away (EPIPE): then the tool stops quietly. */
  readonly readerGone: boolean;
  /**
   * @param cause What the write threw.
   * @param message The line that says it: `stdout: REASON`.
   */
  constructor(cause: unknown, message: string) {
    super(message, { cause });
    this.name = "StdoutFailure";
    this.readerGone = cause instanceof Deno.errors.BrokenPipe;
  }
}
