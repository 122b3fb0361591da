import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { assertThrowsExactly } from "./_util.ts";
import { accessList, cidrContains, parseCidr } from "../lib/access_list.ts";

Deno.test("parseCidr() reads IPv4 and IPv6 prefixes", () => {
  assertEquals(parseCidr("10.0.0.0/8"), {
    family: 4,
    bytes: new Uint8Array([10, 0, 0, 0]),
    prefix: 8,
  });
  const v6 = parseCidr("fe80::/10");
  assertStrictEquals(v6.family, 6);
  assertStrictEquals(v6.prefix, 10);
  assertStrictEquals(v6.bytes.length, 16);
});

Deno.test("parseCidr() takes a bare address as a prefix of one address", () => {
  assertStrictEquals(parseCidr("127.0.0.1").prefix, 32);
  assertStrictEquals(parseCidr("::1").prefix, 128);
});

Deno.test("parseCidr() refuses what is not a prefix, naming it", () => {
  assertThrowsExactly(() => parseCidr("nonsense"), SyntaxError, {
    message: 'Invalid prefix "nonsense": not an IP address',
  });
  assertThrowsExactly(() => parseCidr("10.0.0.0/33"), RangeError, {
    message: 'Invalid prefix "10.0.0.0/33": length must be 0-32',
  });
  assertThrows(() => parseCidr("::/129"), RangeError);
  assertThrows(() => parseCidr("10.0.0.0/"), SyntaxError);
  assertThrows(() => parseCidr("10.0.0.0/08"), SyntaxError);
  assertThrows(() => parseCidr("10.0.0.0/-1"), SyntaxError);
  assertThrows(() => parseCidr("fe80::1%eth0/64"), SyntaxError);
});

Deno.test("cidrContains() matches whole and partial bytes of the prefix", () => {
  const net = parseCidr("192.168.4.0/22");
  assert(cidrContains(net, "192.168.4.1"));
  assert(cidrContains(net, "192.168.7.255"));
  assert(!cidrContains(net, "192.168.8.0"));
  assert(!cidrContains(net, "192.168.3.255"));
  assert(cidrContains(parseCidr("0.0.0.0/0"), "8.8.8.8"));
  assert(cidrContains(parseCidr("2001:db8::/32"), "2001:db8::1"));
  assert(!cidrContains(parseCidr("2001:db8::/32"), "2001:db9::1"));
});

Deno.test("cidrContains() matches an IPv4-mapped peer against its IPv4 prefix", () => {
  assert(cidrContains(parseCidr("127.0.0.0/8"), "::ffff:127.0.0.1"));
  assert(!cidrContains(parseCidr("10.0.0.0/8"), "::ffff:127.0.0.1"));
});

Deno.test("cidrContains() matches an IPv4 peer against a ::ffff:0:0/96 prefix", () => {
  assert(cidrContains(parseCidr("::ffff:0:0/96"), "127.0.0.1"));
  assert(!cidrContains(parseCidr("::1/128"), "127.0.0.1"));
});

Deno.test("cidrContains() never matches an IPv6 peer against an IPv4 prefix", () => {
  assert(!cidrContains(parseCidr("0.0.0.0/0"), "::1"));
});

Deno.test("accessList() with empty lists lets everyone in (undefined)", () => {
  assertStrictEquals(accessList({}), undefined);
  assertStrictEquals(accessList({ allow: [], deny: [] }), undefined);
});

Deno.test("accessList() refuses unlisted peers once anything is allowed", () => {
  const allowed = accessList({ allow: ["127.0.0.0/8"] })!;
  assertStrictEquals(allowed("127.0.0.1"), true);
  assertStrictEquals(allowed("::ffff:127.0.0.9"), true);
  assertStrictEquals(allowed("::1"), false);
  assertStrictEquals(allowed("10.0.0.1"), false);
});

Deno.test("accessList() with only a deny list refuses just those", () => {
  const allowed = accessList({ deny: ["::1"] })!;
  assertStrictEquals(allowed("::1"), false);
  assertStrictEquals(allowed("127.0.0.1"), true);
});

Deno.test("accessList() lets deny win over allow", () => {
  const allowed = accessList({
    allow: ["127.0.0.0/8", "::1"],
    deny: ["127.0.0.1"],
  })!;
  assertStrictEquals(allowed("127.0.0.1"), false);
  assertStrictEquals(allowed("::ffff:127.0.0.1"), false);
  assertStrictEquals(allowed("127.0.0.2"), true);
  assertStrictEquals(allowed("::1"), true);
});

Deno.test("accessList() throws for a prefix that does not parse", () => {
  assertThrows(() => accessList({ deny: ["10.0.0.0/33"] }), RangeError);
});

Deno.test("parseCidr() gives its bytes as Uint8Array<ArrayBuffer>, which the Web APIs take", async () => {
  const { bytes } = parseCidr("10.1.2.0/24");
  const exact: Uint8Array<ArrayBuffer> = bytes;
  assert(exact.buffer instanceof ArrayBuffer);
  assertStrictEquals((await new Blob([exact]).arrayBuffer()).byteLength, 4);
  assertStrictEquals(
    (await crypto.subtle.digest("SHA-256", parseCidr("::1").bytes)).byteLength,
    32,
  );
});
