/**
 * The errors beejnet's library throws, as typed values the tools turn into
 * the reference programs' messages and exit codes.
 *
 * @module
 */

import type { Tracer } from "./_trace_calls.ts";
import type { Trace } from "./trace.ts";

/** One address that failed, and why. */
export interface AddressFailure {
  /** The address tried, for example `"::1"` or `"127.0.0.1"`. */
  address: string;
  /** What went wrong there. */
  error: unknown;
  /**
   * The step that failed, where an operation has several: `sendDatagram`
   * says `"socket"` or `"sendto"`.
   */
  call?: string;
}

/**
 * Every address tried failed: the family of {@linkcode BindError},
 * {@linkcode ConnectError} and {@linkcode SendError}. `failures` lists each
 * address in the order it failed, so a caller reports them after the fact.
 *
 * @example Report each failure, whatever the operation
 * ```ts
 * import { AddressError, ConnectError, describeError } from "./errors.ts";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const error = new ConnectError([
 *   { address: "::1", error: new Error("Connection refused (os error 111)") },
 * ]);
 * assertEquals(error.message, "Cannot connect: 1 address tried");
 * assertInstanceOf(error, AddressError);
 * assertEquals(
 *   error.failures.map((f) => `${f.address}: ${describeError(f.error)}`),
 *   ["::1: Connection refused"],
 * );
 * ```
 */
export class AddressError extends Error {
  /** Each address tried, in the order they failed, with its error. */
  readonly failures: readonly AddressFailure[];
  /**
   * Make the error.
   *
   * @param message What failed, for example `"Cannot connect: 2 addresses tried"`.
   * @param failures Each address tried, with its error.
   */
  constructor(message: string, failures: readonly AddressFailure[]) {
    super(message);
    this.name = "AddressError";
    this.failures = failures;
  }
}

/** `Cannot VERB: N address(es) tried`. */
function countMessage(verb: string, failures: readonly unknown[]): string {
  const n = failures.length;
  return `Cannot ${verb}: ${n} address${n === 1 ? "" : "es"} tried`;
}

/**
 * No address could be bound: every candidate failed (`server: failed to
 * bind`, `listener: failed to bind socket`, `talker: failed to create
 * socket`).
 *
 * @example The message names the last address
 * ```ts
 * import { BindError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new BindError([{ address: "::", error: new Error("x") }]);
 * assertEquals(error.message, 'Cannot bind "::": x');
 * ```
 */
export class BindError extends AddressError {
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
      failures,
    );
    this.name = "BindError";
  }
}

/**
 * No connection could be made: every resolved address failed
 * (`client: failed to connect`).
 *
 * @example Inspect the failures
 * ```ts
 * import { ConnectError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new ConnectError([]).failures.length, 0);
 * ```
 */
export class ConnectError extends AddressError {
  /**
   * Make the error from the failures.
   *
   * @param failures Each address tried, with its error.
   */
  constructor(failures: readonly AddressFailure[]) {
    super(countMessage("connect", failures), failures);
    this.name = "ConnectError";
  }
}

/**
 * Every address failed at sending (`talker: sendto`).
 *
 * @example Inspect the failures
 * ```ts
 * import { SendError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new SendError([]).failures.length, 0);
 * ```
 */
export class SendError extends AddressError {
  /**
   * Make the error from the failures.
   *
   * @param failures Each address tried, with its error.
   */
  constructor(failures: readonly AddressFailure[]) {
    super(countMessage("send", failures), failures);
    this.name = "SendError";
  }
}

/**
 * A message fits in no datagram of the destination's families. It is a
 * `RangeError`, with the sizes as fields. For a numbered datagram (a header,
 * the message, padding) the size is the datagram's, and the message says so.
 *
 * @example The sizes
 * ```ts
 * import { MessageSizeError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new MessageSizeError(65_508, 65_507, 4);
 * assertEquals(
 *   error.message,
 *   "Message is 65508 bytes: at most 65507 fit in one IPv4 datagram",
 * );
 * ```
 *
 * @example A numbered datagram, padded
 * ```ts
 * import { MessageSizeError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new MessageSizeError(65_508, 65_507, 4, {
 *   header: 20,
 *   padded: true,
 * });
 * assertEquals(
 *   error.message,
 *   "Datagram would be 65508 bytes (20-byte header + message + padding): " +
 *     "at most 65507 fit in one IPv4 datagram",
 * );
 * ```
 */
export class MessageSizeError extends RangeError {
  /**
   * The message's size in bytes, or how much of it was read; with a
   * `header`, the whole datagram's.
   */
  readonly size: number;
  /** The header before the message in the datagram; 0 when there is none. */
  readonly header: number;
  /** The most one datagram carries. */
  readonly limit: number;
  /**
   * Whether `size` is the message's whole size; `false` when reading
   * stopped past the limit (the message is then "more than" the limit).
   */
  readonly exact: boolean;
  /**
   * Make the error.
   *
   * @param size The message's size in bytes, or how much of it was read;
   *   with `header`, the whole datagram's.
   * @param limit The most one datagram carries.
   * @param family The family the limit is for.
   * @param options `exact: false` when the whole size is not known;
   *   `header`, the header's size, when `size` is a numbered datagram's,
   *   and `padded` when padding follows the message in it.
   */
  constructor(
    size: number,
    limit: number,
    family: 4 | 6,
    options: { exact?: boolean; header?: number; padded?: boolean } = {},
  ) {
    const exact = options.exact ?? true;
    const header = options.header ?? 0;
    const what = header > 0
      ? `Datagram would be ${size} bytes (${header}-byte header + message${
        options.padded ? " + padding" : ""
      })`
      : `Message is ${exact ? size : `more than ${limit}`} bytes`;
    super(`${what}: at most ${limit} fit in one IPv${family} datagram`);
    this.name = "MessageSizeError";
    this.size = size;
    this.header = header;
    this.limit = limit;
    this.exact = exact;
  }
}

/**
 * A name did not resolve. The message is what `gai_strerror` says, so tools
 * print it as `getaddrinfo: Name or service not known`.
 *
 * @example Match on the code
 * ```ts
 * import { ResolveError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new ResolveError("nowhere.invalid", "ENOTFOUND");
 * assertEquals(error.message, "Name or service not known");
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
 * import { assert } from "@std/assert";
 *
 * assert(new TimeoutError("Connection timed out") instanceof Error);
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
 * import { assertEquals } from "@std/assert";
 *
 * const error = new Error("Connection refused (os error 111)");
 * assertEquals(describeError(error), "Connection refused");
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
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isPermissionError(new Deno.errors.NotCapable("no")), true);
 * ```
 */
export function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied &&
      /--allow-|Requires .* access/.test(error.message);
}

// Private to lib/ (mod.ts does not export it): the one way a library call
// asks for its tracer. It lives here, in a module every traced call loads
// anyway, because a module of its own would cost every tool's start (about
// 0.9 M instructions under callgrind, 1% of `client 127.0.0.1`).

/**
 * The tracer of `trace`, or `undefined` without one. Tracing costs nothing
 * when it is off: the tracing code (`_trace_calls.ts`) is loaded only when a
 * trace is given. The same callback always gets the same tracer, so its
 * sockets are numbered in one sequence across the calls it is given to.
 *
 * @param trace The caller's trace callback, if any.
 * @returns Its tracer, or `undefined`.
 */
export async function tracerFor(trace: Trace): Promise<Tracer>;
export async function tracerFor(
  trace: Trace | undefined,
): Promise<Tracer | undefined>;
export async function tracerFor(
  trace: Trace | undefined,
): Promise<Tracer | undefined> {
  if (trace === undefined) return undefined;
  const { tracerOf } = await import("./_trace_calls.ts");
  return tracerOf(trace);
}
