import assert from "node:assert/strict";
import { bindCandidates, bindFirst, isMappedPeer } from "../lib/_bind.ts";
import { BindError } from "../lib/errors.ts";

Deno.test("bindCandidates() tries dual-stack :: first, then 0.0.0.0", async () => {
  assert.deepEqual(await bindCandidates({}), ["::", "0.0.0.0"]);
  assert.deepEqual(await bindCandidates({ family: 4 }), ["0.0.0.0"]);
  assert.deepEqual(await bindCandidates({ family: 6 }), ["::"]);
});

Deno.test("bindCandidates() resolves a bind address", async () => {
  assert.deepEqual(await bindCandidates({ hostname: "127.0.0.1" }), [
    "127.0.0.1",
  ]);
  assert.deepEqual(await bindCandidates({ hostname: "[::1]" }), ["::1"]);
});

Deno.test("bindFirst() falls back to IPv4 where IPv6 is missing", () => {
  const tried: string[] = [];
  const bound = bindFirst(["::", "0.0.0.0"], (hostname) => {
    tried.push(hostname);
    if (hostname === "::") {
      throw new Error("Address family not supported by protocol (os error 97)");
    }
    return hostname;
  });
  assert.equal(bound, "0.0.0.0");
  assert.deepEqual(tried, ["::", "0.0.0.0"]);
});

Deno.test("bindFirst() lists every failure when nothing binds", () => {
  const inUse = (): never => {
    throw new Error("Address already in use (os error 98)");
  };
  let caught: unknown;
  try {
    bindFirst(["::", "0.0.0.0"], inUse);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BindError);
  assert.deepEqual(caught.failures.map((f) => f.address), ["::", "0.0.0.0"]);
  assert.equal(caught.message, 'Cannot bind "0.0.0.0": Address already in use');
});

Deno.test("bindFirst() stops at a permission error: another address would not help", () => {
  let calls = 0;
  assert.throws(
    () =>
      bindFirst(["::", "0.0.0.0"], () => {
        calls++;
        throw new Deno.errors.NotCapable("Requires net access");
      }),
    Deno.errors.NotCapable,
  );
  assert.equal(calls, 1);
});

Deno.test("isMappedPeer() tells an IPv4 peer of a dual-stack socket", () => {
  assert.equal(isMappedPeer("::ffff:127.0.0.1"), true);
  assert.equal(isMappedPeer("::FFFF:10.0.0.1"), true);
  assert.equal(isMappedPeer("::1"), false);
  assert.equal(isMappedPeer("127.0.0.1"), false);
});
