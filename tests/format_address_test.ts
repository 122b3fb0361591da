import assert from "node:assert/strict";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";

Deno.test("formatAddress() shows IPv4-mapped IPv6 as IPv4", () => {
  assert.equal(formatAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(formatAddress("::FFFF:10.0.0.1"), "10.0.0.1");
  assert.equal(formatAddress("::ffff:7f00:1"), "127.0.0.1");
});

Deno.test("formatAddress() leaves plain IPv4 addresses unchanged", () => {
  assert.equal(formatAddress("127.0.0.1"), "127.0.0.1");
  assert.equal(formatAddress("0.0.0.0"), "0.0.0.0");
});

Deno.test("formatAddress() leaves plain IPv6 addresses unchanged", () => {
  assert.equal(formatAddress("::1"), "::1");
  assert.equal(formatAddress("::"), "::");
  assert.equal(formatAddress("fe80::1%eth0"), "fe80::1%eth0");
});

Deno.test("formatAddress() leaves names unchanged", () => {
  assert.equal(formatAddress("localhost"), "localhost");
});

Deno.test("formatHostPort() writes IPv4 as address:port", () => {
  assert.equal(formatHostPort("127.0.0.1", 3490), "127.0.0.1:3490");
  assert.equal(formatHostPort("0.0.0.0", 0), "0.0.0.0:0");
});

Deno.test("formatHostPort() brackets IPv6 addresses", () => {
  assert.equal(formatHostPort("::1", 3490), "[::1]:3490");
  assert.equal(formatHostPort("fe80::1%eth0", 80), "[fe80::1%eth0]:80");
});

Deno.test("formatHostPort() brackets the :: wildcard", () => {
  assert.equal(formatHostPort("::", 3490), "[::]:3490");
});

Deno.test("formatHostPort() shows a mapped address as IPv4 without brackets", () => {
  assert.equal(formatHostPort("::ffff:127.0.0.1", 41234), "127.0.0.1:41234");
});

Deno.test("formatHostPort() writes a name as name:port", () => {
  assert.equal(formatHostPort("localhost", 4950), "localhost:4950");
});
