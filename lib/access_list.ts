/**
 * Allow and deny lists of address prefixes (CIDR), for servers exposed to a
 * network. Deny wins over allow; once anything is allowed, everything else is
 * refused. An IPv4 peer that reaches a dual-stack socket as `::ffff:a.b.c.d`
 * matches IPv4 prefixes.
 *
 * @module
 */

import { type IpFamily, mappedIPv4, parseIPv4, parseIPv6 } from "./ip.ts";

/** A parsed address prefix. */
export interface Cidr {
  /** The family of the prefix. */
  family: IpFamily;
  /** The network address: 4 or 16 bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** How many leading bits must match. */
  prefix: number;
}

/**
 * Parse an address prefix such as `10.0.0.0/8` or `fe80::/10`. A bare
 * address is a prefix of one address (`/32` or `/128`).
 *
 * @param text The prefix as typed.
 * @returns The prefix.
 * @throws {SyntaxError} When `text` is not an address with an optional
 *   `/length`.
 * @throws {RangeError} When the length is longer than the address.
 *
 * @example Parse both families
 * ```ts
 * import { parseCidr } from "@beejnet/beejnet";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(parseCidr("10.0.0.0/8").prefix, 8);
 * assertEquals(parseCidr("::1").prefix, 128);
 * assertThrows(() => parseCidr("10.0.0.0/33"), RangeError);
 * ```
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseIPv4(address);
  // Both parsers return a fresh array of their own buffer.
  const bytes =
    (v4 ?? (address.includes("%") ? undefined : parseIPv6(address))) as
      | Uint8Array<ArrayBuffer>
      | undefined;
  if (!bytes) {
    throw new SyntaxError(`Invalid prefix "${text}": not an IP address`);
  }
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash !== -1) {
    const length = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(length)) {
      throw new SyntaxError(`Invalid prefix "${text}": length is not a number`);
    }
    prefix = Number(length);
    if (prefix > bits) {
      throw new RangeError(
        `Invalid prefix "${text}": length must be 0-${bits}`,
      );
    }
  }
  return { family: v4 ? 4 : 6, bytes, prefix };
}

/**
 * Tell whether an address lies within a prefix. IPv4-mapped IPv6 addresses
 * match IPv4 prefixes, and IPv4 addresses match `::ffff:0:0/96` prefixes.
 *
 * @param cidr A prefix from {@linkcode parseCidr}.
 * @param address A peer's address as Deno reports it.
 * @returns Whether the address is in the prefix.
 *
 * @example A mapped peer in an IPv4 prefix
 * ```ts
 * import { cidrContains, parseCidr } from "@beejnet/beejnet";
 * import { assert } from "@std/assert";
 *
 * assert(cidrContains(parseCidr("127.0.0.0/8"), "::ffff:127.0.0.1"));
 * assert(!cidrContains(parseCidr("10.0.0.0/8"), "127.0.0.1"));
 * ```
 */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const bytes = addressBytes(address, cidr.family);
  if (!bytes) return false;
  const whole = cidr.prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (bytes[i] !== cidr.bytes[i]) return false;
  }
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole]! & mask) === (cidr.bytes[whole]! & mask);
}

function addressBytes(
  address: string,
  family: IpFamily,
): Uint8Array<ArrayBuffer> | undefined {
  if (family === 4) return parseIPv4(mappedIPv4(address) ?? address);
  const v6 = parseIPv6(address);
  if (v6) return v6;
  const v4 = parseIPv4(address);
  if (!v4) return undefined;
  const mapped = new Uint8Array(16);
  mapped[10] = mapped[11] = 0xff;
  mapped.set(v4, 12);
  return mapped;
}

function toCidr(prefix: string | Cidr): Cidr {
  return typeof prefix === "string" ? parseCidr(prefix) : prefix;
}

/** Options for {@linkcode accessList}. */
export interface AccessListOptions {
  /**
   * Prefixes to allow, as text or parsed by {@linkcode parseCidr}; when any
   * is given, unlisted peers are refused.
   */
  allow?: readonly (string | Cidr)[];
  /** Prefixes to refuse, as text or parsed; deny wins over allow. */
  deny?: readonly (string | Cidr)[];
}

/**
 * Make a check of peers against allow and deny lists.
 *
 * @param options The prefixes to allow and to deny.
 * @returns A function that says whether a peer's address may be served, or
 *   `undefined` when both lists are empty (everyone may).
 * @throws {SyntaxError | RangeError} When a prefix does not parse.
 *
 * @example Allow loopback except one address
 * ```ts
 * import { accessList } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const allowed = accessList({ allow: ["127.0.0.0/8"], deny: ["127.0.0.2"] })!;
 * assertEquals(allowed("127.0.0.1"), true);
 * assertEquals(allowed("127.0.0.2"), false);
 * assertEquals(allowed("::1"), false);
 * ```
 */
export function accessList(
  options: AccessListOptions,
): ((address: string) => boolean) | undefined {
  const allow = (options.allow ?? []).map(toCidr);
  const deny = (options.deny ?? []).map(toCidr);
  if (allow.length === 0 && deny.length === 0) return undefined;
  return (address) => {
    if (deny.some((cidr) => cidrContains(cidr, address))) return false;
    return allow.length === 0 ||
      allow.some((cidr) => cidrContains(cidr, address));
  };
}
