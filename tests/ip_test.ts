import { assertEquals, assertStrictEquals } from "@std/assert";
import { ipFamily, mappedIPv4, parseIPv4, parseIPv6 } from "../lib/ip.ts";

/** The 16 bytes of an IPv6 address written as eight 16-bit groups. */
function groups(...values: number[]): Uint8Array {
  assertStrictEquals(values.length, 8);
  const bytes = new Uint8Array(16);
  values.forEach((value, i) => {
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

// parseIPv4

Deno.test("parseIPv4() parses a dotted quad into 4 bytes", () => {
  assertEquals(parseIPv4("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
  assertEquals(parseIPv4("0.0.0.0"), new Uint8Array([0, 0, 0, 0]));
  assertEquals(
    parseIPv4("255.255.255.255"),
    new Uint8Array([255, 255, 255, 255]),
  );
});

Deno.test("parseIPv4() refuses leading zeros, as inet_pton does", () => {
  assertStrictEquals(parseIPv4("010.0.0.1"), undefined);
  assertStrictEquals(parseIPv4("127.0.0.01"), undefined);
  assertStrictEquals(parseIPv4("00.0.0.0"), undefined);
});

Deno.test("parseIPv4() refuses a part above 255", () => {
  assertStrictEquals(parseIPv4("256.0.0.1"), undefined);
  assertStrictEquals(parseIPv4("1.2.3.1000"), undefined);
});

Deno.test("parseIPv4() refuses shorthand forms such as 127.1", () => {
  assertStrictEquals(parseIPv4("127.1"), undefined);
  assertStrictEquals(parseIPv4("127.0.1"), undefined);
  assertStrictEquals(parseIPv4("2130706433"), undefined);
});

Deno.test("parseIPv4() refuses empty parts and extra dots", () => {
  assertStrictEquals(parseIPv4(""), undefined);
  assertStrictEquals(parseIPv4("1..2.3"), undefined);
  assertStrictEquals(parseIPv4(".1.2.3"), undefined);
  assertStrictEquals(parseIPv4("1.2.3.4."), undefined);
  assertStrictEquals(parseIPv4("1.2.3.4.5"), undefined);
});

Deno.test("parseIPv4() refuses signs, spaces, hex and names", () => {
  assertStrictEquals(parseIPv4(" 1.2.3.4"), undefined);
  assertStrictEquals(parseIPv4("1.2.3.4 "), undefined);
  assertStrictEquals(parseIPv4("+1.2.3.4"), undefined);
  assertStrictEquals(parseIPv4("0x7f.0.0.1"), undefined);
  assertStrictEquals(parseIPv4("localhost"), undefined);
  assertStrictEquals(parseIPv4("::1"), undefined);
});

// parseIPv6

Deno.test("parseIPv6() parses :: as all zeros", () => {
  assertEquals(parseIPv6("::"), new Uint8Array(16));
});

Deno.test("parseIPv6() parses ::1 as loopback", () => {
  assertEquals(parseIPv6("::1"), groups(0, 0, 0, 0, 0, 0, 0, 1));
});

Deno.test("parseIPv6() parses the full eight-group form", () => {
  assertEquals(
    parseIPv6("2001:0db8:0000:0000:0000:ff00:0042:8329"),
    groups(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329),
  );
  assertEquals(
    parseIPv6("1:2:3:4:5:6:7:8"),
    groups(1, 2, 3, 4, 5, 6, 7, 8),
  );
});

Deno.test("parseIPv6() expands :: in the middle, at the start and at the end", () => {
  assertEquals(
    parseIPv6("2001:db8::ff00:42:8329"),
    groups(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329),
  );
  assertEquals(parseIPv6("::2:3"), groups(0, 0, 0, 0, 0, 0, 2, 3));
  assertEquals(parseIPv6("fe80::"), groups(0xfe80, 0, 0, 0, 0, 0, 0, 0));
  assertEquals(
    parseIPv6("1:2:3:4:5:6:7::"),
    groups(1, 2, 3, 4, 5, 6, 7, 0),
  );
});

Deno.test("parseIPv6() accepts upper- and mixed-case hex digits", () => {
  assertEquals(
    parseIPv6("FE80::aBcD"),
    groups(0xfe80, 0, 0, 0, 0, 0, 0, 0xabcd),
  );
});

Deno.test("parseIPv6() parses an embedded IPv4 address at the end", () => {
  assertEquals(
    parseIPv6("::ffff:127.0.0.1"),
    groups(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1),
  );
  assertEquals(
    parseIPv6("64:ff9b::192.0.2.33"),
    groups(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221),
  );
  assertEquals(
    parseIPv6("1:2:3:4:5:6:1.2.3.4"),
    groups(1, 2, 3, 4, 5, 6, 0x102, 0x304),
  );
});

Deno.test("parseIPv6() accepts surrounding brackets", () => {
  assertEquals(parseIPv6("[::1]"), groups(0, 0, 0, 0, 0, 0, 0, 1));
  assertEquals(parseIPv6("[::]"), new Uint8Array(16));
});

Deno.test("parseIPv6() ignores a zone and refuses an empty one", () => {
  assertEquals(
    parseIPv6("fe80::1%eth0"),
    groups(0xfe80, 0, 0, 0, 0, 0, 0, 1),
  );
  assertEquals(
    parseIPv6("[fe80::1%2]"),
    groups(0xfe80, 0, 0, 0, 0, 0, 0, 1),
  );
  assertStrictEquals(parseIPv6("fe80::1%"), undefined);
});

Deno.test("parseIPv6() refuses two :: compressions", () => {
  assertStrictEquals(parseIPv6("1::2::3"), undefined);
  assertStrictEquals(parseIPv6("::1::"), undefined);
});

Deno.test("parseIPv6() refuses nine groups, and eight groups with ::", () => {
  assertStrictEquals(parseIPv6("1:2:3:4:5:6:7:8:9"), undefined);
  assertStrictEquals(parseIPv6("1:2:3:4:5:6:7::8"), undefined);
  assertStrictEquals(parseIPv6("::1:2:3:4:5:6:7:8"), undefined);
});

Deno.test("parseIPv6() refuses fewer than eight groups without ::", () => {
  assertStrictEquals(parseIPv6("1:2:3:4:5:6:7"), undefined);
  assertStrictEquals(parseIPv6("1:2"), undefined);
});

Deno.test("parseIPv6() refuses a group of five hex digits", () => {
  assertStrictEquals(parseIPv6("::12345"), undefined);
  assertStrictEquals(parseIPv6("00001::"), undefined);
});

Deno.test("parseIPv6() refuses non-hex digits and empty groups", () => {
  assertStrictEquals(parseIPv6("::g"), undefined);
  assertStrictEquals(parseIPv6("1:2:3:4:5:6:7:"), undefined);
  assertStrictEquals(parseIPv6(":1:2:3:4:5:6:7"), undefined);
  assertStrictEquals(parseIPv6(":::"), undefined);
  assertStrictEquals(parseIPv6("::ffff:"), undefined);
});

Deno.test("parseIPv6() refuses an embedded IPv4 address that does not end it", () => {
  assertStrictEquals(parseIPv6("::1.2.3.4:1"), undefined);
  assertStrictEquals(parseIPv6("1.2.3.4::"), undefined);
  assertStrictEquals(parseIPv6("1.2.3.4::1"), undefined);
  assertStrictEquals(parseIPv6("1:2:3:4:5:1.2.3.4:8"), undefined);
});

Deno.test("parseIPv6() refuses an embedded IPv4 address that is invalid or one group too many", () => {
  assertStrictEquals(parseIPv6("::ffff:127.0.0.01"), undefined);
  assertStrictEquals(parseIPv6("::ffff:256.0.0.1"), undefined);
  assertStrictEquals(parseIPv6("::ffff:127.1"), undefined);
  assertStrictEquals(parseIPv6("1:2:3:4:5:6:7:1.2.3.4"), undefined);
});

Deno.test("parseIPv6() refuses IPv4 addresses, names, half brackets and the empty string", () => {
  assertStrictEquals(parseIPv6("127.0.0.1"), undefined);
  assertStrictEquals(parseIPv6("localhost"), undefined);
  assertStrictEquals(parseIPv6("[::1"), undefined);
  assertStrictEquals(parseIPv6("::1]"), undefined);
  assertStrictEquals(parseIPv6("[127.0.0.1]"), undefined);
  assertStrictEquals(parseIPv6(""), undefined);
});

// ipFamily

Deno.test("ipFamily() returns 4 for IPv4 literals", () => {
  assertStrictEquals(ipFamily("127.0.0.1"), 4);
  assertStrictEquals(ipFamily("0.0.0.0"), 4);
});

Deno.test("ipFamily() returns 6 for IPv6 literals, bracketed or not", () => {
  assertStrictEquals(ipFamily("::"), 6);
  assertStrictEquals(ipFamily("::1"), 6);
  assertStrictEquals(ipFamily("[::1]"), 6);
  assertStrictEquals(ipFamily("::ffff:127.0.0.1"), 6);
  assertStrictEquals(ipFamily("fe80::1%eth0"), 6);
});

Deno.test("ipFamily() returns 0 for names and malformed literals", () => {
  assertStrictEquals(ipFamily("localhost"), 0);
  assertStrictEquals(ipFamily("example.com"), 0);
  assertStrictEquals(ipFamily("127.1"), 0);
  assertStrictEquals(ipFamily("1::2::3"), 0);
  assertStrictEquals(ipFamily(""), 0);
});

// mappedIPv4

Deno.test("mappedIPv4() unmaps ::ffff:a.b.c.d", () => {
  assertStrictEquals(mappedIPv4("::ffff:127.0.0.1"), "127.0.0.1");
  assertStrictEquals(mappedIPv4("::ffff:10.1.2.3"), "10.1.2.3");
});

Deno.test("mappedIPv4() unmaps the hex form ::ffff:7f00:1", () => {
  assertStrictEquals(mappedIPv4("::ffff:7f00:1"), "127.0.0.1");
  assertStrictEquals(mappedIPv4("0:0:0:0:0:ffff:c0a8:0101"), "192.168.1.1");
});

Deno.test("mappedIPv4() unmaps upper-case ::FFFF:127.0.0.1", () => {
  assertStrictEquals(mappedIPv4("::FFFF:127.0.0.1"), "127.0.0.1");
});

Deno.test("mappedIPv4() unmaps a bracketed mapped address", () => {
  assertStrictEquals(mappedIPv4("[::ffff:127.0.0.1]"), "127.0.0.1");
});

Deno.test("mappedIPv4() returns undefined for ::ffff: alone", () => {
  assertStrictEquals(mappedIPv4("::ffff:"), undefined);
});

Deno.test("mappedIPv4() returns undefined for prefixes other than ::ffff:0:0/96", () => {
  assertStrictEquals(mappedIPv4("::fffe:1.2.3.4"), undefined);
  assertStrictEquals(mappedIPv4("::1.2.3.4"), undefined);
  assertStrictEquals(mappedIPv4("::ffff:0:1.2.3.4"), undefined);
  assertStrictEquals(mappedIPv4("1::ffff:1.2.3.4"), undefined);
  assertStrictEquals(mappedIPv4("64:ff9b::1.2.3.4"), undefined);
});

Deno.test("mappedIPv4() returns undefined for plain addresses and names", () => {
  assertStrictEquals(mappedIPv4("::1"), undefined);
  assertStrictEquals(mappedIPv4("::"), undefined);
  assertStrictEquals(mappedIPv4("127.0.0.1"), undefined);
  assertStrictEquals(mappedIPv4("localhost"), undefined);
});

Deno.test("parseIPv4() and parseIPv6() give Uint8Array<ArrayBuffer>, which digest and Blob take", async () => {
  // A type check as much as a test: Uint8Array<ArrayBufferLike> does not
  // type-check as a BufferSource or a BlobPart under TypeScript 6.
  for (const bytes of [parseIPv4("192.0.2.1")!, parseIPv6("2001:db8::1")!]) {
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    assertEquals(digest.byteLength, 32);
    assertEquals(new Blob([bytes]).size, bytes.length);
  }
});

Deno.test("mappedIPv4()'s scan of ::ffff:a.b.c.d agrees with the full parse", () => {
  // The unmapping the full parse gives, for the scan to be held against.
  const byParse = (text: string): string | undefined => {
    const bytes = parseIPv6(text);
    if (!bytes || bytes.slice(0, 10).some((b) => b !== 0)) return undefined;
    if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
    return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  };
  const tails = [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "1.2.3.4",
    "10.20.30.40",
    "256.1.1.1",
    "1.2.3.256",
    "01.2.3.4",
    "1.2.3.04",
    "00.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1..3.4",
    ".1.2.3",
    "1.2.3.",
    "1.2.3.4x",
    "1234.1.1.1",
    "1.2.3.a",
    "",
    "7f00:1",
  ];
  for (const prefix of ["::ffff:", "::FFFF:", "::fFfF:", "::fff:", ":ffff:"]) {
    for (const tail of tails) {
      const text = prefix + tail;
      assertStrictEquals(mappedIPv4(text), byParse(text), text);
    }
  }
});
