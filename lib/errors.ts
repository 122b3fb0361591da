/**
 * The errors beejnet's library throws, as typed values the tools turn into
 * the reference programs' messages and exit codes.
 *
 * @module
 */

/** One address that failed, and why. */
export interface AddressFailure {
  /** The address tried, for example `"::1"` or `"127.0.0.1"`. */
  address: string;
  /** What went wrong there. */
  error: unknown;
}

/**
 * No address could be bound: every candidate failed (`server: failed to
 * bind`, `listener: failed to bind socket`).
 *
 * @example Report each failure
 * ```ts
 * import { BindError, describeError } from "./errors.ts";
 *
 * const error = new BindError([{ address: "::", error: new Error("x") }]);
 * for (const { address, error: cause } of error.failures) {
 *   console.log(`${address}: ${describeError(cause)}`);
 * }
 * ```
 */
export class BindError extends Error {
  /** Each address tried, in order, with its error. */
  readonly failures: readonly AddressFailure[];
  /**
   * Make the error from the failures.
   *
   * @param failures Each address tried, with its error.
   */
  constructor(failures: readonly AddressFailure[]) {
    const last = failures.at(-1);
    super(
      last
        ? `Cannot bind "${last.address}": ${describeError(last.error)}`
        : "Cannot bind: no address to bind",
    );
    this.name = "BindError";
    this.failures = failures;
  }
}

/**
 * No connection could be made: every resolved address failed
 * (`client: failed to connect`).
 *
 * @example Inspect the failures
 * ```ts
 * import { ConnectError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectError([]);
 * assert.equal(error.failures.length, 0);
 * ```
 */
export class ConnectError extends Error {
  /** Each address tried, in the order they failed, with its error. */
  readonly failures: readonly AddressFailure[];
  /**
   * Make the error from the failures.
   *
   * @param failures Each address tried, with its error.
   */
  constructor(failures: readonly AddressFailure[]) {
    super(
      `Cannot connect: ${failures.length} address${
        failures.length === 1 ? "" : "es"
      } tried`,
    );
    this.name = "ConnectError";
    this.failures = failures;
  }
}

/**
 * A name did not resolve. The message is what `gai_strerror` says, so tools
 * print it as `getaddrinfo: Name or service not known`.
 *
 * @example Match on the code
 * ```ts
 * import { ResolveError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ResolveError("nowhere.invalid", "ENOTFOUND");
 * assert.equal(error.message, "Name or service not known");
 * ```
 */
export class ResolveError extends Error {
  /** The name that did not resolve. */
  readonly host: string;
  /** The resolver's code, for example `ENOTFOUND` or `EAI_AGAIN`. */
  readonly code: string;
  /**
   * Make the error from a resolver code.
   *
   * @param host The name that did not resolve.
   * @param code The resolver's code.
   */
  constructor(host: string, code: string) {
    super(
      Object.hasOwn(GAI_MESSAGES, code)
        ? GAI_MESSAGES[code]
        : `Name resolution failed (${code})`,
    );
    this.name = "ResolveError";
    this.host = host;
    this.code = code;
  }
}

const GAI_MESSAGES: Record<string, string> = {
  ENOTFOUND: "Name or service not known",
  EAI_NONAME: "Name or service not known",
  EAI_AGAIN: "Temporary failure in name resolution",
  ENODATA: "No address associated with hostname",
  EAI_NODATA: "No address associated with hostname",
  EAI_FAIL: "Non-recoverable failure in name resolution",
  EAI_FAMILY: "ai_family not supported",
  EAI_ADDRFAMILY: "Address family for hostname not supported",
  EAI_MEMORY: "Memory allocation failure",
  EAI_SYSTEM: "System error",
};

/**
 * Something did not happen in time: a connect, a read, a reply.
 *
 * @example Tell a timeout from other errors
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new TimeoutError("Connection timed out") instanceof Error);
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Make the error.
   *
   * @param message What timed out, for example `"Connection timed out"`.
   */
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Say what went wrong in the words `perror` would use: the operating
 * system's text without Deno's ` (os error N)` suffix.
 *
 * @param error Anything thrown.
 * @returns A one-line reason, for example `"Connection refused"`.
 *
 * @example From a Deno error
 * ```ts
 * import { describeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new Error("Connection refused (os error 111)");
 * assert.equal(describeError(error), "Connection refused");
 * ```
 */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n", 1)[0]!.replace(/ \(os error \d+\)$/, "");
  return line || (error instanceof Error ? error.name : "Unknown error");
}

/**
 * Tell whether an error is Deno refusing an operation for lack of a
 * permission (`--allow-net`).
 *
 * @param error Anything thrown.
 * @returns `true` for a permission error.
 *
 * @example A denied permission
 * ```ts
 * import { isPermissionError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPermissionError(new Deno.errors.NotCapable("no")), true);
 * ```
 */
export function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied &&
      /--allow-|Requires .* access/.test(error.message);
}
