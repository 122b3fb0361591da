import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  bindCandidates,
  bindFirst,
  isBindFailure,
  isMappedPeer,
  requireDatagrams,
  requireUnstableNet,
} from "../lib/_bind.ts";
import { BindError } from "../lib/errors.ts";

Deno.test("bindCandidates() tries dual-stack :: first, then 0.0.0.0", async () => {
  assertEquals(await bindCandidates({}), ["::", "0.0.0.0"]);
  assertEquals(await bindCandidates({ family: 4 }), ["0.0.0.0"]);
  assertEquals(await bindCandidates({ family: 6 }), ["::"]);
});

Deno.test("bindCandidates() resolves a bind address", async () => {
  assertEquals(await bindCandidates({ hostname: "127.0.0.1" }), [
    "127.0.0.1",
  ]);
  assertEquals(await bindCandidates({ hostname: "[::1]" }), ["::1"]);
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
  assertStrictEquals(bound, "0.0.0.0");
  assertEquals(tried, ["::", "0.0.0.0"]);
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
  assert(caught instanceof BindError);
  assertEquals(caught.failures.map((f) => f.address), ["::", "0.0.0.0"]);
  assertStrictEquals(
    caught.message,
    'Cannot bind "0.0.0.0": Address already in use',
  );
});

Deno.test("bindFirst() stops at a permission error: another address would not help", () => {
  let calls = 0;
  assertThrows(
    () =>
      bindFirst(["::", "0.0.0.0"], () => {
        calls++;
        throw new Deno.errors.NotCapable("Requires net access");
      }),
    Deno.errors.NotCapable,
  );
  assertStrictEquals(calls, 1);
});

Deno.test("isMappedPeer() tells an IPv4 peer of a dual-stack socket", () => {
  assertStrictEquals(isMappedPeer("::ffff:127.0.0.1"), true);
  assertStrictEquals(isMappedPeer("::FFFF:10.0.0.1"), true);
  assertStrictEquals(isMappedPeer("::1"), false);
  assertStrictEquals(isMappedPeer("127.0.0.1"), false);
});

Deno.test("bindFirst() throws what is not a bind failure at once, trying no other address", () => {
  for (
    const thrown of [
      new TypeError("Deno.listenDatagram is not a function"),
      new RangeError("Invalid port (out of range): 70000"),
      new Error("a callback's own failure"),
    ]
  ) {
    let calls = 0;
    let caught: unknown;
    try {
      bindFirst(["::", "0.0.0.0"], () => {
        calls++;
        throw thrown;
      });
    } catch (error) {
      caught = error;
    }
    assertStrictEquals(caught, thrown);
    assertStrictEquals(calls, 1);
  }
});

Deno.test("isBindFailure() tells the operating system's refusals from other errors", () => {
  assert(isBindFailure(new Deno.errors.AddrInUse("Address already in use")));
  assert(isBindFailure(new Deno.errors.AddrNotAvailable("x (os error 99)")));
  assert(
    isBindFailure(
      new Error("Address family not supported by protocol (os error 97)"),
    ),
  );
  assert(
    !isBindFailure(new TypeError("Deno.listenDatagram is not a function")),
  );
  assert(!isBindFailure(new Error("no os error here")));
  assert(!isBindFailure("a string"));
});

Deno.test("requireUnstableNet() and requireDatagrams() pass where Deno.listenDatagram exists", () => {
  // This project's deno.json asks for "unstable": ["net"]; the case without
  // it runs in a child process (unstable_net_test.ts).
  assertStrictEquals(typeof Deno.listenDatagram, "function");
  requireDatagrams();
  requireUnstableNet("Deno.listen({ reusePort: true })");
});
