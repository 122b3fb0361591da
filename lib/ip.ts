/**
 * Parse IP address literals into bytes, the way `inet_pton` does, and tell
 * their family. Used to skip name resolution for literals, to unmap
 * IPv4-mapped IPv6 addresses and to match peers against prefixes.
 *
 * @module
 */

/** The family of an IP address: `4` or `6`. */
export type IpFamily = 4 | 6;

/**
 * Parse a dotted-quad IPv4 address into its 4 bytes.
 *
 * Leading zeros and shorthand forms (`127.1`) are refused, as `inet_pton`
 * refuses them.
 *
 * @param text The address, for example `"127.0.0.1"`.
 * @returns The 4 bytes, or `undefined` when `text` is not an IPv4 address.
 *
 * @example Parse loopback
 * ```ts
 * import { parseIPv4 } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseIPv4("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
 * assertEquals(parseIPv4("localhost"), undefined);
 * ```
 */
export function parseIPv4(text: string): Uint8Array<ArrayBuffer> | undefined {
  const bytes = new Uint8Array(4);
  return scanIPv4(text, 0, bytes) ? bytes : undefined;
}

/**
 * Whether `text` from `start` to its end is a dotted quad: four decimal
 * parts of 1-3 digits, 0-255, no leading zeros. Each part goes into `bytes`
 * when given. Checked by hand, allocating nothing: a regular expression's
 * first use costs a one-shot tool time, and the dual-stack peers' spelling
 * (`::ffff:a.b.c.d`, {@linkcode mappedIPv4}) is read once per datagram.
 */
function scanIPv4(text: string, start: number, bytes?: Uint8Array): boolean {
  let parts = 0, digits = 0, value = 0, first = 0;
  for (let i = start; i <= text.length; i++) {
    const c = i === text.length ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) { // "." or the end
      if (digits === 0 || (digits > 1 && first === 0) || value > 255) {
        return false;
      }
      if (parts === 4) return false;
      if (bytes) bytes[parts] = value;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      if (digits === 0) first = c - 0x30;
      value = value * 10 + (c - 0x30);
      digits++;
    } else return false;
  }
  return parts === 4;
}

/**
 * Parse an IPv6 address into its 16 bytes. Accepts `::` compression, an
 * embedded dotted quad (`::ffff:127.0.0.1`), surrounding brackets and a zone
 * (`fe80::1%eth0`, the zone is ignored).
 *
 * @param text The address, for example `"::1"` or `"[::1]"`.
 * @returns The 16 bytes, or `undefined` when `text` is not an IPv6 address.
 *
 * @example Parse loopback
 * ```ts
 * import { parseIPv6 } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseIPv6("::1")?.[15], 1);
 * assertEquals(parseIPv6("127.0.0.1"), undefined);
 * ```
 */
export function parseIPv6(text: string): Uint8Array<ArrayBuffer> | undefined {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone !== -1) {
    if (zone === s.length - 1) return undefined;
    s = s.slice(0, zone);
  }
  if (!s.includes(":")) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups: number[] = [];
  const parseGroups = (list: string[], out: number[]): boolean => {
    for (let i = 0; i < list.length; i++) {
      const group = list[i]!;
      if (i === list.length - 1 && group.includes(".")) {
        const v4 = parseIPv4(group);
        if (!v4) return false;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
      out.push(parseInt(group, 16));
    }
    return true;
  };
  const headGroups: number[] = [];
  const tailGroups: number[] = [];
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && head.some((g) => g.includes("."))) {
    return undefined;
  }
  if (!parseGroups(head, headGroups) || !parseGroups(tail, tailGroups)) {
    return undefined;
  }
  const count = headGroups.length + tailGroups.length;
  if (halves.length === 2) {
    if (count > 7) return undefined;
    groups.push(...headGroups, ...new Array(8 - count).fill(0), ...tailGroups);
  } else {
    if (count !== 8) return undefined;
    groups.push(...headGroups);
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * Tell whether `text` is an IP address literal, and of which family.
 *
 * @param text A host as a user typed it.
 * @returns `4`, `6`, or `0` when `text` is not an IP literal (a name).
 *
 * @example Literals and names
 * ```ts
 * import { ipFamily } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ipFamily("10.0.0.1"), 4);
 * assertEquals(ipFamily("[::1]"), 6);
 * assertEquals(ipFamily("example.com"), 0);
 * ```
 */
export function ipFamily(text: string): IpFamily | 0 {
  if (parseIPv4(text)) return 4;
  if (parseIPv6(text)) return 6;
  return 0;
}

/** Whether `text` is `::ffff:` (any case), then a dotted quad. */
function isMappedDottedQuad(text: string): boolean {
  if (text.length < 14 || text.length > 22) return false;
  for (let i = 0; i < 7; i++) {
    const c = text.charCodeAt(i) | (i >= 2 && i <= 5 ? 0x20 : 0);
    if (c !== (i < 2 || i === 6 ? 0x3a : 0x66)) return false; // ':' or 'f'
  }
  return scanIPv4(text, 7);
}

/**
 * Return the IPv4 address inside an IPv4-mapped IPv6 address
 * (`::ffff:a.b.c.d`, however written), or `undefined` for anything else.
 *
 * @param text An address, for example `"::ffff:127.0.0.1"`.
 * @returns The IPv4 address in dotted-quad form, or `undefined`.
 *
 * @example Unmap a dual-stack peer
 * ```ts
 * import { mappedIPv4 } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(mappedIPv4("::ffff:127.0.0.1"), "127.0.0.1");
 * assertEquals(mappedIPv4("::ffff:7f00:1"), "127.0.0.1");
 * assertEquals(mappedIPv4("::1"), undefined);
 * ```
 */
export function mappedIPv4(text: string): string | undefined {
  if (!text.includes(":")) return undefined;
  // The spelling Deno reports for every IPv4 peer of a dual-stack socket:
  // answered by a scan that allocates nothing, as it comes once per
  // datagram and per connection (a full parse cost ≈ 1.3 µs a call).
  if (isMappedDottedQuad(text)) return text.slice(7);
  const bytes = parseIPv6(text);
  if (!bytes) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
}

/**
 * Tell whether two address literals name the same address, whatever their
 * spelling (`::1` and `0:0:0:0:0:0:0:1`), an IPv4-mapped IPv6 address being
 * the same as its IPv4 address.
 *
 * @param a An address.
 * @param b Another address.
 * @returns Whether both parse and are equal.
 *
 * @example Different spellings
 * ```ts
 * import { sameAddress } from "@beejnet/beejnet";
 * import { assert } from "@std/assert";
 *
 * assert(sameAddress("::1", "0:0:0:0:0:0:0:1"));
 * assert(sameAddress("::ffff:127.0.0.1", "127.0.0.1"));
 * assert(!sameAddress("::1", "127.0.0.1"));
 * ```
 */
export function sameAddress(a: string, b: string): boolean {
  const x = addressKey(a);
  return x !== undefined && x === addressKey(b);
}

function addressKey(text: string): string | undefined {
  const v4 = parseIPv4(mappedIPv4(text) ?? text);
  if (v4) return v4.join(".");
  return parseIPv6(text)?.join(",");
}
