import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
  fail,
} from "@std/assert";
import { ResolveError } from "../lib/errors.ts";
import { checkHost, resolve } from "../lib/resolve.ts";
import {
  assertRejectsExactly,
  assertThrowsExactly,
  deadline,
} from "./_util.ts";

// resolve

Deno.test({
  name: "resolve() answers an IPv4 literal without a lookup",
  // Without net permission a lookup would throw NotCapable.
  permissions: { net: false },
  async fn(): Promise<void> {
    assertEquals(await resolve("127.0.0.1"), [
      { address: "127.0.0.1", family: 4 },
    ]);
    assertEquals(await resolve("192.0.2.1"), [
      { address: "192.0.2.1", family: 4 },
    ]);
  },
});

Deno.test({
  name: "resolve() answers an IPv6 literal without a lookup",
  permissions: { net: false },
  async fn(): Promise<void> {
    assertEquals(await resolve("::1"), [{ address: "::1", family: 6 }]);
    assertEquals(await resolve("2001:db8::1"), [
      { address: "2001:db8::1", family: 6 },
    ]);
  },
});

Deno.test({
  name:
    "resolve() answers a bracketed IPv6 literal without brackets and without a lookup",
  permissions: { net: false },
  async fn(): Promise<void> {
    assertEquals(await resolve("[::1]"), [{ address: "::1", family: 6 }]);
  },
});

Deno.test({
  name: "resolve() of a name without net permission throws NotCapable",
  permissions: { net: false },
  async fn(): Promise<void> {
    await assertRejects(() => resolve("localhost"), Deno.errors.NotCapable);
  },
});

Deno.test({
  name:
    "resolve() without net permission keeps the resolver's refusal as the cause",
  permissions: { net: false },
  async fn(): Promise<void> {
    const error = await assertRejects(
      () => resolve("localhost"),
      Deno.errors.NotCapable,
      'Requires net access to "localhost"',
    );
    assert(error.cause !== undefined);
  },
});

Deno.test("resolve() gives localhost as 127.0.0.1 first", async () => {
  const addresses = await deadline(resolve("localhost"), "resolve(localhost)");
  assertEquals(addresses[0], { address: "127.0.0.1", family: 4 });
});

Deno.test("resolve() with family 4 keeps only IPv4 addresses", async () => {
  const addresses = await deadline(
    resolve("localhost", { family: 4 }),
    "resolve(localhost, 4)",
  );
  assert(addresses.length > 0);
  assert(addresses.every((a) => a.family === 4), JSON.stringify(addresses));
});

Deno.test("resolve() with family 6 of a name that has only IPv4 addresses throws ResolveError", async () => {
  // Here /etc/hosts gives localhost no ::1 line.
  const v6 = await deadline(
    resolve("localhost", { family: 6 }).catch((error: unknown) => error),
    "resolve(localhost, 6)",
  );
  if (Array.isArray(v6)) {
    // A machine whose hosts file maps localhost to ::1 as well.
    assert(v6.every((a) => a.family === 6), JSON.stringify(v6));
    return;
  }
  assert(v6 instanceof ResolveError, String(v6));
  assertStrictEquals(v6.host, "localhost");
});

Deno.test("resolve() of an IPv4 literal with family 6 throws ResolveError", async () => {
  const error = await assertRejectsExactly(
    resolve("127.0.0.1", { family: 6 }),
    ResolveError,
    { message: "Address family for hostname not supported" },
  );
  assertStrictEquals(error.code, "EAI_ADDRFAMILY");
  assertStrictEquals(error.host, "127.0.0.1");
});

Deno.test("resolve() of an IPv6 literal with family 4 throws ResolveError", async () => {
  const error = await assertRejectsExactly(
    resolve("[::1]", { family: 4 }),
    ResolveError,
    { message: "Address family for hostname not supported" },
  );
  assertStrictEquals(error.code, "EAI_ADDRFAMILY");
});

Deno.test("resolve() of an IPv6 literal with a zone throws ResolveError: Deno's sockets take none", async () => {
  for (const host of ["::1%lo", "[fe80::1%eth0]"]) {
    const error = await assertRejectsExactly(resolve(host), ResolveError, {
      message: "Name or service not known",
    });
    assertStrictEquals(error.host, host);
  }
});

Deno.test("resolve() of nonexistent.invalid throws 'Name or service not known'", async () => {
  const error = await deadline(
    resolve("nonexistent.invalid").then(
      () => fail("nonexistent.invalid resolved"),
      (error: unknown) => error,
    ),
    "resolve(nonexistent.invalid)",
  );
  assert(error instanceof ResolveError, String(error));
  assertStrictEquals(error.host, "nonexistent.invalid");
  assertStrictEquals(error.message, "Name or service not known");
});

Deno.test("resolve() keeps the resolver's error as the ResolveError's cause", async () => {
  const error = await deadline(
    resolve("nonexistent.invalid").then(
      () => fail("nonexistent.invalid resolved"),
      (error: unknown) => error,
    ),
    "resolve(nonexistent.invalid)",
  );
  assert(error instanceof ResolveError, String(error));
  assert(error.cause instanceof Error, String(error.cause));
  assertStrictEquals((error.cause as { code?: string }).code, error.code);
});

Deno.test("resolve() of a literal has no cause: no resolver ran", async () => {
  const error = await assertRejects(
    () => resolve("127.0.0.1", { family: 6 }),
    ResolveError,
  );
  assertStrictEquals("cause" in error, false);
});

Deno.test({
  name:
    "resolve() refuses a family other than 0, 4 or 6 with a RangeError, before any lookup",
  permissions: { net: false },
  async fn(): Promise<void> {
    for (const family of [5, -4, 4.5, NaN, 46]) {
      await assertRejects(
        () => resolve("localhost", { family: family as 4 }),
        RangeError,
        `Invalid family "${family}": must be 0, 4 or 6`,
      );
    }
  },
});

Deno.test("resolve() refuses a family that is not a number with a TypeError", async () => {
  await assertRejects(
    () => resolve("127.0.0.1", { family: "4" as unknown as 4 }),
    TypeError,
    "Invalid family: must be a number, not string",
  );
});

Deno.test("resolve() refuses a trace or options of the wrong type with a TypeError", async () => {
  await assertRejects(
    () => resolve("127.0.0.1", { trace: "on" as unknown as () => void }),
    TypeError,
    "Invalid trace: must be a function, not string",
  );
  await assertRejects(
    () => resolve("127.0.0.1", null as unknown as object),
    TypeError,
    "Invalid resolve() options: must be an object",
  );
});

Deno.test("resolve() refuses a host that is not a string with a TypeError", async () => {
  await assertRejects(
    () => resolve(3490 as unknown as string),
    TypeError,
    "Invalid host: must be a string, not number",
  );
});

Deno.test("resolve() checks the host before looking it up", async () => {
  await assertRejects(() => resolve(""), TypeError);
  await assertRejects(() => resolve("localhost:3490"), TypeError);
});

// checkHost

Deno.test("checkHost() refuses the empty host", () => {
  assertThrowsExactly(() => checkHost(""), TypeError, {
    message: "Invalid host: the host is empty",
  });
});

Deno.test("checkHost() accepts a name of 253 characters and refuses 254", () => {
  const label = "a".repeat(63);
  const name253 = [label, label, label, "a".repeat(61)].join(".");
  assertStrictEquals(name253.length, 253);
  assertStrictEquals(checkHost(name253), name253);
  const name254 = name253 + "a";
  assertThrowsExactly(() => checkHost(name254), TypeError, {
    message: `Invalid host "${"a".repeat(20)}...": longer than 253 characters`,
  });
});

Deno.test("checkHost() refuses host:port, naming no flag (the tools add --port)", () => {
  assertThrowsExactly(() => checkHost("localhost:99999"), TypeError, {
    message: 'Invalid host "localhost:99999": not a name or address',
  });
  assertThrows(() => checkHost("127.0.0.1:3490"), TypeError);
});

Deno.test("checkHost() refuses a bracketed IPv6 address with a port", () => {
  assertThrows(() => checkHost("[::1]:3490"), TypeError);
});

Deno.test("checkHost() refuses a name with a space", () => {
  assertThrowsExactly(() => checkHost("a b"), TypeError, {
    message: 'Invalid host "a b": not a host name',
  });
});

Deno.test("checkHost() refuses control characters and slashes in a name", () => {
  for (const host of ["a\nb", "a\x1b[31m", "a/b", "a@b", "[localhost]"]) {
    assertThrows(
      () => checkHost(host),
      TypeError,
      undefined,
      JSON.stringify(host),
    );
  }
});

Deno.test("checkHost() accepts unicode names", () => {
  assertStrictEquals(checkHost("bücher.example"), "bücher.example");
  assertStrictEquals(checkHost("例え.テスト"), "例え.テスト");
});

Deno.test("checkHost() accepts names with hyphens, underscores, digits and a final dot", () => {
  for (const host of ["my-host_1.example.com", "localhost.", "host123"]) {
    assertStrictEquals(checkHost(host), host);
  }
});

Deno.test("checkHost() removes brackets around an IPv6 literal", () => {
  assertStrictEquals(checkHost("[::1]"), "::1");
  assertStrictEquals(checkHost("[fe80::1%eth0]"), "fe80::1%eth0");
});

Deno.test("checkHost() returns address literals unchanged", () => {
  assertStrictEquals(checkHost("::1"), "::1");
  assertStrictEquals(checkHost("127.0.0.1"), "127.0.0.1");
  assertStrictEquals(checkHost("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
});
