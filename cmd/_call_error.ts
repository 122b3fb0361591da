// Private to cmd/: a system call of the tool's own that failed (`recv`,
// `recvfrom`), printed as the reference's `perror` prints it.

import { describeError } from "../lib/errors.ts";

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
