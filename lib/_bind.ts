// Private to lib/: choose the addresses to bind and bind the first that works.

import {
  type AddressFailure,
  BindError,
  isPermissionError,
  tracerFor,
  UnstableNetError,
} from "./errors.ts";
import type { IpFamily } from "./ip.ts";
import { resolve } from "./resolve.ts";
import type { Trace } from "./trace.ts";

/** Where to bind, as the tools' `-b`, `-4` and `-6` say it. */
export interface BindAddressOptions {
  /** An address or name to bind; both wildcards by default. */
  hostname?: string;
  /** Only this family; `0` for both. */
  family?: IpFamily | 0;
}

/**
 * The addresses to try, in order: the resolved `hostname`, or the wildcard
 * of each family asked for, IPv6 first because `::` is dual-stack.
 */
export async function bindCandidates(
  options: BindAddressOptions,
  trace?: { trace: Trace; port: number; type: "SOCK_STREAM" | "SOCK_DGRAM" },
): Promise<string[]> {
  const family = options.family ?? 0;
  if (options.hostname !== undefined) {
    return (await resolve(options.hostname, { family, trace: trace?.trace }))
      .map((a) => a.address);
  }
  if (trace) {
    (await tracerFor(trace.trace)).skippedLookup({
      host: null,
      service: String(trace.port),
      family,
      type: trace.type,
      passive: true,
    }, "nothing to look up: the wildcard address is bound as it is");
  }
  if (family === 4) return ["0.0.0.0"];
  if (family === 6) return ["::"];
  return ["::", "0.0.0.0"];
}

/**
 * Throw {@linkcode UnstableNetError} unless Deno's unstable networking APIs
 * are there (`--unstable-net`): UDP and `SO_REUSEPORT` need them. Call it
 * before opening any socket; `api` names what the caller needs, for the
 * message. (Without the flag, `Deno.listenDatagram` is missing, and
 * `Deno.listen({ reusePort: true })` ends the process.)
 */
export function requireUnstableNet(api = "Deno.listenDatagram"): void {
  if (typeof Deno.listenDatagram !== "function") {
    throw new UnstableNetError(api);
  }
}

/** UDP is there: {@linkcode requireUnstableNet} for `Deno.listenDatagram`. */
export function requireDatagrams(): void {
  requireUnstableNet("Deno.listenDatagram");
}

/**
 * Whether `error` is the operating system refusing a bind (an address in
 * use, a family not supported, ...): one of `Deno.errors`, or an error of
 * Deno's that carries an `(os error N)`. Anything else (a `TypeError` of a
 * missing API, a `RangeError` of a bad port, a callback's throw) is not a
 * reason to try the next address.
 */
export function isBindFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (/\(os error \d+\)$/.test(error.message)) return true;
  return Object.values(Deno.errors).some((kind) => error instanceof kind);
}

/**
 * Bind the first candidate that works. A permission error is thrown as is:
 * trying another address would not help; so is anything that is not the
 * operating system refusing the bind ({@linkcode isBindFailure}).
 */
export function bindFirst<T>(
  candidates: readonly string[],
  bind: (hostname: string) => T,
): T {
  const failures: AddressFailure[] = [];
  for (const address of candidates) {
    try {
      return bind(address);
    } catch (error) {
      if (isPermissionError(error) || !isBindFailure(error)) throw error;
      failures.push({ address, error });
    }
  }
  throw new BindError(failures);
}

/** Whether a peer reached a `-6` socket over IPv4 (as `::ffff:a.b.c.d`). */
export function isMappedPeer(hostname: string): boolean {
  return hostname.toLowerCase().startsWith("::ffff:") && hostname.includes(".");
}
