/**
 * The one place that turns socket addresses into text: plain addresses as
 * `inet_ntop` prints them, IPv4-mapped IPv6 addresses as IPv4, and
 * `host:port` with brackets around IPv6.
 *
 * @module
 */

import { mappedIPv4 } from "./ip.ts";

/**
 * Format an address as `inet_ntop` would print it for the peer's real family:
 * an IPv4 peer that reached a dual-stack socket as `::ffff:127.0.0.1` is shown
 * as `127.0.0.1`.
 *
 * @param hostname An address as Deno reports it in a `NetAddr`.
 * @returns The address to show.
 *
 * @example Dual-stack peers
 * ```ts
 * import { formatAddress } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatAddress("::ffff:127.0.0.1"), "127.0.0.1");
 * assertEquals(formatAddress("::1"), "::1");
 * ```
 */
export function formatAddress(hostname: string): string {
  return mappedIPv4(hostname) ?? hostname;
}

/**
 * Format an address and port the way URLs and `nc -v` do:
 * `127.0.0.1:3490`, `[::1]:3490`.
 *
 * @param hostname An address as Deno reports it (mapped addresses unmapped).
 * @param port The port.
 * @returns `address:port`, with brackets around IPv6 addresses.
 *
 * @example Both families
 * ```ts
 * import { formatHostPort } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatHostPort("::", 3490), "[::]:3490");
 * assertEquals(formatHostPort("::ffff:10.0.0.1", 80), "10.0.0.1:80");
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  const address = formatAddress(hostname);
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
