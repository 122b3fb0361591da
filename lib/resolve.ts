/**
 * The one place that resolves names: every address `getaddrinfo` returns,
 * in its order, filtered by family. Address literals are answered without
 * loading the resolver, so one-shot tools given an IP address start faster.
 *
 * @module
 */

import { checkString } from "./_check.ts";
import { type IpFamily, ipFamily } from "./ip.ts";
import type { Trace } from "./trace.ts";

/** One address a host resolved to. */
export interface ResolvedAddress {
  /** The address, for example `"127.0.0.1"` or `"::1"` (no brackets). */
  address: string;
  /** Its family. */
  family: IpFamily;
}

/** Options for {@linkcode resolve}. */
export interface ResolveOptions {
  /** Only addresses of this family: `4`, `6`, or `0` for both. @default {0} */
  family?: IpFamily | 0;
  /**
   * Receives the `getaddrinfo` call with its result, or that none was
   * needed for an address literal (see the `TraceEvent` type).
   */
  trace?: Trace;
}

/** The longest name the DNS can carry. */
const MAX_NAME_LENGTH = 253;

/**
 * Check that a host as typed can be resolved at all: not empty, not too long,
 * and not a `host:port` pair.
 *
 * @param host The host as typed.
 * @returns The host without brackets around an IPv6 literal.
 * @throws {TypeError} When the host is not a string, is empty, is longer
 *   than 253 characters, has a port in it (`host:port`), or has characters
 *   no host name has.
 *
 * @example Brackets are removed
 * ```ts
 * import { checkHost } from "@beejnet/beejnet";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(checkHost("[::1]"), "::1");
 * assertThrows(() => checkHost("localhost:3490"), TypeError);
 * ```
 */
export function checkHost(host: string): string {
  checkString("host", host, true);
  if (host === "") throw new TypeError("Invalid host: the host is empty");
  if (host.startsWith("[") && host.endsWith("]") && ipFamily(host) === 6) {
    return host.slice(1, -1);
  }
  if (ipFamily(host) !== 0) return host;
  if (host.length > MAX_NAME_LENGTH) {
    throw new TypeError(
      `Invalid host "${
        host.slice(0, 20)
      }...": longer than ${MAX_NAME_LENGTH} characters`,
    );
  }
  if (host.includes(":")) {
    throw new TypeError(
      `Invalid host "${host}": not a name or address`,
    );
  }
  if (!/^[\p{L}\p{N}._-]+$/u.test(host)) {
    throw new TypeError(`Invalid host "${host}": not a host name`);
  }
  return host;
}

/**
 * Resolve a host to all of its addresses, in the order `getaddrinfo` gives
 * them (the system's resolver, as `node:dns` `lookup()` with `verbatim`),
 * keeping only IPv4 and IPv6 addresses of the family asked for. An IP
 * literal resolves to itself without a lookup, and without loading the
 * resolver: a one-shot program given an address starts faster.
 *
 * @param host A name or an address literal (IPv6 with or without brackets).
 * @param options The family to keep, and a trace.
 * @returns At least one address.
 * @throws {TypeError} When the host is not acceptable (see
 *   {@linkcode checkHost}), or an option has the wrong type (a `family`
 *   that is not a number, a `trace` that is not a function).
 * @throws {RangeError} When `family` is not `0`, `4` or `6`.
 * @throws {ResolveError} When the name does not resolve, has no address of
 *   the family asked for, or is an IPv6 literal with a zone (`fe80::1%eth0`),
 *   which Deno's sockets cannot use. When the resolver threw, its error is
 *   the `cause`.
 * @throws {Deno.errors.NotCapable} When the net permission for the name is
 *   missing.
 *
 * @example Literals need no lookup
 * ```ts
 * import { resolve } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(await resolve("::1"), [{ address: "::1", family: 6 }]);
 * ```
 *
 * @example Only one family
 * ```ts
 * import { resolve, ResolveError } from "@beejnet/beejnet";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * assertEquals(await resolve("127.0.0.1", { family: 4 }), [
 *   { address: "127.0.0.1", family: 4 },
 * ]);
 * const error = await assertRejects(
 *   () => resolve("127.0.0.1", { family: 6 }),
 *   ResolveError,
 * );
 * assertEquals(error.code, "EAI_ADDRFAMILY");
 * ```
 */
export function resolve(
  host: string,
  options: ResolveOptions = {},
): Promise<ResolvedAddress[]> {
  // The common case first, in a few lines (V8 compiles a function whole on
  // its first call; bench/STARTUP.md): an unbracketed address literal
  // without a zone, of the family asked, untraced, with valid options.
  if (
    typeof host === "string" && typeof options === "object" &&
    options !== null && options.trace === undefined
  ) {
    const family = ipFamily(host);
    const wanted = options.family ?? 0;
    if (
      family !== 0 && (wanted === 0 || wanted === family) &&
      host.charCodeAt(0) !== 0x5b && !host.includes("%")
    ) {
      return Promise.resolve([{ address: host, family }]);
    }
  }
  // Everything else (checks, the lookup, the trace) in its own module,
  // loaded on first use: a one-shot tool given an address never needs it.
  return import("./_resolve_checked.ts").then((m) =>
    m.resolveChecked(host, options)
  );
}
