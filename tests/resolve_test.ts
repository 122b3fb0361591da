import assert from "node:assert/strict";
import { ResolveError } from "../lib/errors.ts";
import { checkHost, resolve } from "../lib/resolve.ts";
import { deadline } from "./_util.ts";

// resolve

Deno.test({
  name: "resolve() answers an IPv4 literal without a lookup",
  // Without net permission a lookup would throw NotCapable.
  permissions: { net: false },
  async fn(): Promise<void> {
    assert.deepEqual(await resolve("127.0.0.1"), [
      { address: "127.0.0.1", family: 4 },
    ]);
    assert.deepEqual(await resolve("192.0.2.1"), [
      { address: "192.0.2.1", family: 4 },
    ]);
  },
});

Deno.test({
  name: "resolve() answers an IPv6 literal without a lookup",
  permissions: { net: false },
  async fn(): Promise<void> {
    assert.deepEqual(await resolve("::1"), [{ address: "::1", family: 6 }]);
    assert.deepEqual(await resolve("2001:db8::1"), [
      { address: "2001:db8::1", family: 6 },
    ]);
  },
});

Deno.test({
  name:
    "resolve() answers a bracketed IPv6 literal without brackets and without a lookup",
  permissions: { net: false },
  async fn(): Promise<void> {
    assert.deepEqual(await resolve("[::1]"), [{ address: "::1", family: 6 }]);
  },
});

Deno.test({
  name: "resolve() of a name without net permission throws NotCapable",
  permissions: { net: false },
  async fn(): Promise<void> {
    await assert.rejects(resolve("localhost"), Deno.errors.NotCapable);
  },
});

Deno.test("resolve() gives localhost as 127.0.0.1 first", async () => {
  const addresses = await deadline(resolve("localhost"), "resolve(localhost)");
  assert.deepEqual(addresses[0], { address: "127.0.0.1", family: 4 });
});

Deno.test("resolve() with family 4 keeps only IPv4 addresses", async () => {
  const addresses = await deadline(
    resolve("localhost", { family: 4 }),
    "resolve(localhost, 4)",
  );
  assert.ok(addresses.length > 0);
  assert.ok(addresses.every((a) => a.family === 4), JSON.stringify(addresses));
});

Deno.test("resolve() with family 6 of a name that has only IPv4 addresses throws ResolveError", async () => {
  // Here /etc/hosts gives localhost no ::1 line.
  const v6 = await deadline(
    resolve("localhost", { family: 6 }).catch((error: unknown) => error),
    "resolve(localhost, 6)",
  );
  if (Array.isArray(v6)) {
    // A machine whose hosts file maps localhost to ::1 as well.
    assert.ok(v6.every((a) => a.family === 6), JSON.stringify(v6));
    return;
  }
  assert.ok(v6 instanceof ResolveError, String(v6));
  assert.equal(v6.host, "localhost");
});

Deno.test("resolve() of an IPv4 literal with family 6 throws ResolveError", async () => {
  await assert.rejects(resolve("127.0.0.1", { family: 6 }), {
    name: "ResolveError",
    code: "EAI_ADDRFAMILY",
    host: "127.0.0.1",
    message: "Address family for hostname not supported",
  });
});

Deno.test("resolve() of an IPv6 literal with family 4 throws ResolveError", async () => {
  await assert.rejects(resolve("[::1]", { family: 4 }), {
    name: "ResolveError",
    code: "EAI_ADDRFAMILY",
    message: "Address family for hostname not supported",
  });
});

Deno.test("resolve() of nonexistent.invalid throws 'Name or service not known'", async () => {
  const error = await deadline(
    resolve("nonexistent.invalid").then(
      () => assert.fail("nonexistent.invalid resolved"),
      (error: unknown) => error,
    ),
    "resolve(nonexistent.invalid)",
  );
  assert.ok(error instanceof ResolveError, String(error));
  assert.equal(error.host, "nonexistent.invalid");
  assert.equal(error.message, "Name or service not known");
});

Deno.test("resolve() checks the host before looking it up", async () => {
  await assert.rejects(resolve(""), TypeError);
  await assert.rejects(resolve("localhost:3490"), TypeError);
});

// checkHost

Deno.test("checkHost() refuses the empty host", () => {
  assert.throws(() => checkHost(""), {
    name: "TypeError",
    message: "Invalid host: the host is empty",
  });
});

Deno.test("checkHost() accepts a name of 253 characters and refuses 254", () => {
  const label = "a".repeat(63);
  const name253 = [label, label, label, "a".repeat(61)].join(".");
  assert.equal(name253.length, 253);
  assert.equal(checkHost(name253), name253);
  const name254 = name253 + "a";
  assert.throws(() => checkHost(name254), {
    name: "TypeError",
    message: `Invalid host "${"a".repeat(20)}...": longer than 253 characters`,
  });
});

Deno.test("checkHost() refuses host:port, pointing to --port", () => {
  assert.throws(() => checkHost("localhost:99999"), {
    name: "TypeError",
    message:
      'Invalid host "localhost:99999": not a name or address; give the port with --port',
  });
  assert.throws(() => checkHost("127.0.0.1:3490"), TypeError);
});

Deno.test("checkHost() refuses a bracketed IPv6 address with a port", () => {
  assert.throws(() => checkHost("[::1]:3490"), TypeError);
});

Deno.test("checkHost() refuses a name with a space", () => {
  assert.throws(() => checkHost("a b"), {
    name: "TypeError",
    message: 'Invalid host "a b": not a host name',
  });
});

Deno.test("checkHost() refuses control characters and slashes in a name", () => {
  for (const host of ["a\nb", "a\x1b[31m", "a/b", "a@b", "[localhost]"]) {
    assert.throws(() => checkHost(host), TypeError, JSON.stringify(host));
  }
});

Deno.test("checkHost() accepts unicode names", () => {
  assert.equal(checkHost("bücher.example"), "bücher.example");
  assert.equal(checkHost("例え.テスト"), "例え.テスト");
});

Deno.test("checkHost() accepts names with hyphens, underscores, digits and a final dot", () => {
  for (const host of ["my-host_1.example.com", "localhost.", "host123"]) {
    assert.equal(checkHost(host), host);
  }
});

Deno.test("checkHost() removes brackets around an IPv6 literal", () => {
  assert.equal(checkHost("[::1]"), "::1");
  assert.equal(checkHost("[fe80::1%eth0]"), "fe80::1%eth0");
});

Deno.test("checkHost() returns address literals unchanged", () => {
  assert.equal(checkHost("::1"), "::1");
  assert.equal(checkHost("127.0.0.1"), "127.0.0.1");
  assert.equal(checkHost("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
});
