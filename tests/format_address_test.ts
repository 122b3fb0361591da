import { assertStrictEquals } from "@std/assert";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";

Deno.test("formatAddress() shows IPv4-mapped IPv6 as IPv4", () => {
  assertStrictEquals(formatAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assertStrictEquals(formatAddress("::FFFF:10.0.0.1"), "10.0.0.1");
  assertStrictEquals(formatAddress("::ffff:7f00:1"), "127.0.0.1");
});

Deno.test("formatAddress() leaves plain IPv4 addresses unchanged", () => {
  assertStrictEquals(formatAddress("127.0.0.1"), "127.0.0.1");
  assertStrictEquals(formatAddress("0.0.0.0"), "0.0.0.0");
});

Deno.test("formatAddress() leaves plain IPv6 addresses unchanged", () => {
  assertStrictEquals(formatAddress("::1"), "::1");
  assertStrictEquals(formatAddress("::"), "::");
  assertStrictEquals(formatAddress("fe80::1%eth0"), "fe80::1%eth0");
});

Deno.test("formatAddress() leaves names unchanged", () => {
  assertStrictEquals(formatAddress("localhost"), "localhost");
});

Deno.test("formatHostPort() writes IPv4 as address:port", () => {
  assertStrictEquals(formatHostPort("127.0.0.1", 3490), "127.0.0.1:3490");
  assertStrictEquals(formatHostPort("0.0.0.0", 0), "0.0.0.0:0");
});

Deno.test("formatHostPort() brackets IPv6 addresses", () => {
  assertStrictEquals(formatHostPort("::1", 3490), "[::1]:3490");
  assertStrictEquals(formatHostPort("fe80::1%eth0", 80), "[fe80::1%eth0]:80");
});

Deno.test("formatHostPort() brackets the :: wildcard", () => {
  assertStrictEquals(formatHostPort("::", 3490), "[::]:3490");
});

Deno.test("formatHostPort() shows a mapped address as IPv4 without brackets", () => {
  assertStrictEquals(
    formatHostPort("::ffff:127.0.0.1", 41234),
    "127.0.0.1:41234",
  );
});

Deno.test("formatHostPort() writes a name as name:port", () => {
  assertStrictEquals(formatHostPort("localhost", 4950), "localhost:4950");
});
