import {
  assert,
  assertNotMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { assertThrowsExactly } from "./_util.ts";
import { parseInteger, parsePort, parseSeconds } from "../lib/parse_number.ts";

// parsePort

Deno.test("parsePort() accepts 0, for any free port", () => {
  assertStrictEquals(parsePort("0"), 0);
});

Deno.test("parsePort() accepts 65535, the largest port", () => {
  assertStrictEquals(parsePort("65535"), 65_535);
  assertStrictEquals(parsePort("3490"), 3490);
});

Deno.test("parsePort() refuses 65536 with a RangeError", () => {
  assertThrowsExactly(() => parsePort("65536"), RangeError, {
    message: 'Invalid port "65536": must be 0-65535',
  });
});

Deno.test("parsePort() refuses -1 with a SyntaxError", () => {
  assertThrowsExactly(() => parsePort("-1"), SyntaxError, {
    message: 'Invalid port "-1": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses trailing garbage: 3490x", () => {
  assertThrowsExactly(() => parsePort("3490x"), SyntaxError, {
    message: 'Invalid port "3490x": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses hex: 0x10", () => {
  assertThrowsExactly(() => parsePort("0x10"), SyntaxError, {
    message: 'Invalid port "0x10": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses the empty string", () => {
  assertThrowsExactly(() => parsePort(""), SyntaxError, {
    message: 'Invalid port "": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses surrounding whitespace", () => {
  assertThrowsExactly(() => parsePort(" 80"), SyntaxError, {
    message: 'Invalid port " 80": not a whole decimal number',
  });
  assertThrows(() => parsePort("80\n"), SyntaxError);
});

Deno.test("parsePort() refuses exponent notation: 1e3", () => {
  assertThrowsExactly(() => parsePort("1e3"), SyntaxError, {
    message: 'Invalid port "1e3": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses a decimal point: 80.0", () => {
  assertThrowsExactly(() => parsePort("80.0"), SyntaxError, {
    message: 'Invalid port "80.0": not a whole decimal number',
  });
});

Deno.test("parsePort() refuses a huge number with a RangeError", () => {
  assertThrowsExactly(() => parsePort("99999999999999999999"), RangeError, {
    message: 'Invalid port "99999999999999999999": must be 0-65535',
  });
});

// parseInteger

Deno.test("parseInteger() accepts the bounds min and max", () => {
  const options = { name: "count", min: 1, max: 10 };
  assertStrictEquals(parseInteger("1", options), 1);
  assertStrictEquals(parseInteger("10", options), 10);
});

Deno.test("parseInteger() refuses below min, naming the range", () => {
  assertThrowsExactly(
    () => parseInteger("0", { name: "count", min: 1, max: 10 }),
    RangeError,
    { message: 'Invalid count "0": must be 1-10' },
  );
});

Deno.test("parseInteger() refuses above max, naming the range", () => {
  assertThrowsExactly(
    () => parseInteger("11", { name: "count", min: 1, max: 10 }),
    RangeError,
    { message: 'Invalid count "11": must be 1-10' },
  );
});

Deno.test("parseInteger() without max says only the lower bound", () => {
  assertThrowsExactly(
    () => parseInteger("0", { name: "count", min: 1 }),
    RangeError,
    { message: 'Invalid count "0": must be at least 1' },
  );
});

Deno.test("parseInteger() defaults min to 0", () => {
  assertStrictEquals(parseInteger("0", { name: "bytes" }), 0);
});

Deno.test("parseInteger() names the number in a SyntaxError", () => {
  assertThrowsExactly(
    () => parseInteger("ten", { name: "max-bytes" }),
    SyntaxError,
    { message: 'Invalid max-bytes "ten": not a whole decimal number' },
  );
});

Deno.test("parseInteger() without max refuses a number too large to be exact, without claiming it is too small", () => {
  // Above Number.MAX_SAFE_INTEGER the value is inexact, so it is refused;
  // the message must not say "must be at least 0" of 99999999999999999999.
  const error = assertThrows(() =>
    parseInteger("99999999999999999999", { name: "count" })
  );
  assert(error instanceof RangeError);
  assertNotMatch(error.message, /must be at least 0$/);
});

// parseSeconds

Deno.test("parseSeconds() turns 0.5 seconds into 500 ms", () => {
  assertStrictEquals(parseSeconds("0.5"), 500);
});

Deno.test("parseSeconds() turns 1.5 seconds into 1500 ms", () => {
  assertStrictEquals(parseSeconds("1.5"), 1500);
  assertStrictEquals(parseSeconds("5"), 5000);
});

Deno.test("parseSeconds() accepts .5 and 5.", () => {
  assertStrictEquals(parseSeconds(".5"), 500);
  assertStrictEquals(parseSeconds("5."), 5000);
});

Deno.test("parseSeconds() accepts 86400 seconds, one day", () => {
  assertStrictEquals(parseSeconds("86400"), 86_400_000);
});

Deno.test("parseSeconds() refuses 0", () => {
  assertThrowsExactly(() => parseSeconds("0"), RangeError, {
    message:
      'Invalid timeout "0": must be more than 0 and at most 86400 seconds',
  });
});

Deno.test("parseSeconds() refuses a duration that rounds to 0 ms", () => {
  assertThrows(() => parseSeconds("0.0001"), RangeError);
});

Deno.test("parseSeconds() refuses 86401 seconds", () => {
  assertThrowsExactly(() => parseSeconds("86401"), RangeError, {
    message:
      'Invalid timeout "86401": must be more than 0 and at most 86400 seconds',
  });
});

Deno.test("parseSeconds() refuses abc with a SyntaxError", () => {
  assertThrowsExactly(() => parseSeconds("abc"), SyntaxError, {
    message: 'Invalid timeout "abc": not a number of seconds',
  });
});

Deno.test("parseSeconds() refuses signs, exponents, blanks and a lone dot", () => {
  for (const text of ["-1", "+1", "1e3", "", " 1", ".", "1.2.3", "Infinity"]) {
    assertThrows(() => parseSeconds(text), SyntaxError, undefined, text);
  }
});

Deno.test("parseSeconds() names the duration in its messages", () => {
  assertThrowsExactly(() => parseSeconds("x", "wait"), SyntaxError, {
    message: 'Invalid wait "x": not a number of seconds',
  });
});
