/**
 * The errors beejnet's library throws, as typed values a caller can match on
 * (the tools turn them into the reference programs' messages and exit
 * codes). Each error that wraps another keeps it as `cause`. A timeout is
 * not a class of its own: it is a `DOMException` named `"TimeoutError"`, as
 * `AbortSignal.timeout()` makes.
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
 * `cause` is the first failure's error (the only one's, when one address
 * was tried), so a logger that follows `cause` shows a real reason; it is
 * absent when there was no address at all.
 *
 * @example Report each failure, whatever the operation
 * ```ts
 * import {
 *   AddressError,
 *   ConnectError,
 *   describeError,
 * } from "@beejnet/beejnet";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const refused = new Error("Connection refused (os error 111)");
 * const error = new ConnectError([{ address: "::1", error: refused }]);
 * assertEquals(error.message, "Cannot connect: 1 address tried");
 * assertInstanceOf(error, AddressError);
 * assertEquals(error.cause, refused);
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
   * @param failures Each address tried, with its error; the first one's
   *   error becomes `cause`.
   */
  constructor(message: string, failures: readonly AddressFailure[]) {
    super(message, failures.length > 0 ? { cause: failures[0]!.error } : {});
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
 * No address could be bound, or no socket made: every candidate failed.
 * The message names the last address tried; `cause` is the first one's
 * error (see {@linkcode AddressError}).
 *
 * @example The message names the last address
 * ```ts
 * import { BindError } from "@beejnet/beejnet";
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
 * No connection could be made: every resolved address failed. `cause` is
 * the first one's error (see {@linkcode AddressError}).
 *
 * @example Inspect the failures
 * ```ts
 * import { ConnectError } from "@beejnet/beejnet";
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
 * Every address failed at sending: some at making their socket, at least
 * one at the send itself. `cause` is the first one's error (see
 * {@linkcode AddressError}).
 *
 * @example Inspect the failures
 * ```ts
 * import { SendError } from "@beejnet/beejnet";
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
 * import { MessageSizeError } from "@beejnet/beejnet";
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
 * import { MessageSizeError } from "@beejnet/beejnet";
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
 * A name did not resolve. The message is what `gai_strerror` says (a tool
 * prints it as `getaddrinfo: Name or service not known`); `code` is the
 * resolver's code and `cause`, when the resolver threw, its own error.
 *
 * @example Match on the code
 * ```ts
 * import { ResolveError } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new ResolveError("nowhere.invalid", "ENOTFOUND");
 * assertEquals(error.message, "Name or service not known");
 * assertEquals(error.code, "ENOTFOUND");
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
   * @param options `cause`: the resolver's own error, when it threw one.
   */
  constructor(host: string, code: string, options?: ErrorOptions) {
    super(
      Object.hasOwn(GAI_MESSAGES, code)
        ? GAI_MESSAGES[code]
        : `Name resolution failed (${code})`,
      options,
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
 * Say what went wrong in the words `perror` would use: the operating
 * system's text without Deno's ` (os error N)` suffix.
 *
 * @param error Anything thrown.
 * @returns A one-line reason, for example `"Connection refused"`.
 *
 * @example From a Deno error
 * ```ts
 * import { describeError } from "@beejnet/beejnet";
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
 * permission: `Deno.errors.NotCapable`, or a `PermissionDenied` that is
 * Deno's own (it asks for a permission), not the operating system's.
 *
 * @param error Anything thrown.
 * @returns `true` for a permission error.
 *
 * @example A denied permission
 * ```ts
 * import { isPermissionError } from "@beejnet/beejnet";
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

/**
 * A Deno API the library needs is missing because Deno runs without its
 * unstable networking APIs: UDP (`Deno.listenDatagram`) and `SO_REUSEPORT`
 * (`Deno.listen({ reusePort: true })`, for the greeting server's `workers`)
 * need `--unstable-net`, or `"unstable": ["net"]` in `deno.json`. Thrown
 * before any socket is opened.
 *
 * @example Tell a missing flag from other errors
 * ```ts
 * import { UnstableNetError } from "@beejnet/beejnet";
 * import { assert, assertMatch } from "@std/assert";
 *
 * const error = new UnstableNetError("Deno.listenDatagram");
 * assert(error instanceof TypeError);
 * assertMatch(error.message, /--unstable-net/);
 * ```
 */
export class UnstableNetError extends TypeError {
  /** The API that is missing, for example `"Deno.listenDatagram"`. */
  readonly api: string;

  /**
   * Make the error.
   *
   * @param api The missing API, as its message names it.
   * @param options The `cause`, if any.
   */
  constructor(api: string, options?: ErrorOptions) {
    super(
      `${api} is not available: run Deno with --unstable-net ` +
        '(or "unstable": ["net"] in deno.json)',
      options,
    );
    this.name = "UnstableNetError";
    this.api = api;
  }
}

// Private to lib/ (mod.ts does not export it): the one way a library call
// asks for its tracer. It lives here, in a module every traced call loads
// anyway, because a module of its own would cost every tool's start (about
// 0.9 M instructions under callgrind, 1% of `client 127.0.0.1`).

/**
 * The tracer of `trace`, or `undefined` without one. Tracing costs nothing
 * when it is off: the tracing code (`_trace_calls.ts`) is loaded only when a
 * trace is given. The tracers of one callback share one counter, so its
 * sockets are numbered in one sequence across the calls it is given to.
 *
 * @param trace The caller's trace callback, if any.
 * @param onError Where the callback's throw or rejection goes (the
 *   resource's failure); without it, a throw goes on to the traced call.
 * @returns Its tracer, or `undefined`.
 */
export async function tracerFor(
  trace: Trace,
  onError?: (error: unknown) => void,
): Promise<Tracer>;
export async function tracerFor(
  trace: Trace | undefined,
  onError?: (error: unknown) => void,
): Promise<Tracer | undefined>;
export async function tracerFor(
  trace: Trace | undefined,
  onError?: (error: unknown) => void,
): Promise<Tracer | undefined> {
  if (trace === undefined) return undefined;
  const { tracerOf } = await import("./_trace_calls.ts");
  return tracerOf(trace, onError);
}
