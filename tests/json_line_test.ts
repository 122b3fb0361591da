import {
  assert,
  assertEquals,
  assertNotMatch,
  assertStrictEquals,
} from "@std/assert";
import { encodeBase64 } from "@std/encoding/base64";
import { escapeText } from "../lib/text/escape.ts";
import { dataFields, jsonLine } from "../lib/text/json_line.ts";

/** Code points that must never reach a terminal or a line reader raw. */
const RAW_UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/**
 * Asserts that `line` is one line of printable JSON that parses back to
 * `value`.
 */
function assertSafeRoundTrip(value: unknown, line: string): void {
  assertNotMatch(line, RAW_UNSAFE, JSON.stringify(line));
  assertEquals(JSON.parse(line), value);
}

// jsonLine

Deno.test("jsonLine() writes plain values as JSON.stringify does", () => {
  const value = { event: "received", bytes: 13, text: "Hello, world!" };
  assertStrictEquals(jsonLine(value), JSON.stringify(value));
});

Deno.test("jsonLine() escapes C0 control characters and stays one line", () => {
  const value = { text: "a\x00b\x1b[31mc\nd\re\tf" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"a\\u0000b\\u001b[31mc\\nd\\re\\tf"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes DEL", () => {
  const value = { text: "a\x7fb" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"a\\u007fb"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes C1 controls such as NEL (U+0085) and CSI (U+009B)", () => {
  const value = { text: "a\u0085b\u009b31mc\u0080\u009f" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"a\\u0085b\\u009b31mc\\u0080\\u009f"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes the right-to-left override U+202E", () => {
  const value = { text: "abc\u202edef" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"abc\\u202edef"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes the line and paragraph separators U+2028 and U+2029", () => {
  const value = { text: "a\u2028b\u2029c" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"a\\u2028b\\u2029c"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes other format characters: zero-width space, BOM, soft hyphen", () => {
  const value = { text: "a\u200bb\ufeffc\u00add" };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"text":"a\\u200bb\\ufeffc\\u00add"}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() escapes format characters in keys too", () => {
  const value = { "\u202ekey": 1 };
  const line = jsonLine(value);
  assertStrictEquals(line, '{"\\u202ekey":1}');
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() leaves printable non-ASCII text unescaped", () => {
  const value = { text: "héllo, 世界 🎉" };
  assertStrictEquals(jsonLine(value), JSON.stringify(value));
});

Deno.test("jsonLine() escapes a format character beyond U+FFFF whole, so it parses back the same", () => {
  // U+E0001 LANGUAGE TAG and U+E0067 TAG LATIN SMALL LETTER G are format
  // characters outside the BMP (tags make up flags such as Scotland's).
  const value = { text: "a\u{E0001}b\u{E0067}c" };
  const line = jsonLine(value);
  assertSafeRoundTrip(value, line);
});

Deno.test("jsonLine() output parses back to the same value for every code point below U+0100", () => {
  let text = "";
  for (let c = 0; c < 0x100; c++) text += String.fromCharCode(c);
  const value = { text };
  assertSafeRoundTrip(value, jsonLine(value));
});

// dataFields

Deno.test("dataFields() gives valid UTF-8 as text", () => {
  assertEquals(dataFields(new TextEncoder().encode("héllo 🎉")), {
    text: "héllo 🎉",
  });
});

Deno.test("dataFields() gives no bytes as empty text", () => {
  assertEquals(dataFields(new Uint8Array()), { text: "" });
});

Deno.test("dataFields() keeps control bytes in text (jsonLine escapes them)", () => {
  assertEquals(dataFields(new Uint8Array([0x00, 0x1b, 0x0a])), {
    text: "\x00\x1b\n",
  });
});

Deno.test("dataFields() keeps a leading BOM in the text", () => {
  assertEquals(dataFields(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), {
    text: "\ufeffA",
  });
});

Deno.test("dataFields() gives invalid UTF-8 as base64", () => {
  assertEquals(dataFields(new Uint8Array([0xff])), { base64: "/w==" });
  assertEquals(dataFields(new Uint8Array([0x68, 0xc3, 0x28])), {
    base64: "aMMo",
  });
});

Deno.test("dataFields() gives overlong and surrogate encodings as base64", () => {
  // C0 80 is an overlong NUL; ED A0 80 encodes the surrogate U+D800.
  assertEquals(dataFields(new Uint8Array([0xc0, 0x80])), {
    base64: "wIA=",
  });
  assertEquals(dataFields(new Uint8Array([0xed, 0xa0, 0x80])), {
    base64: "7aCA",
  });
});

Deno.test("dataFields() gives a truncated multi-byte sequence as base64", () => {
  assertEquals(dataFields(new Uint8Array([0xe4, 0xb8])), {
    base64: "5Lg=",
  });
});

Deno.test("dataFields() base64 of a large binary payload decodes to the same bytes", () => {
  const bytes = new Uint8Array(100_003);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 0x80) & 0xff;
  const fields = dataFields(bytes);
  assert("base64" in fields);
  const decoded = Uint8Array.from(atob(fields.base64), (c) => c.charCodeAt(0));
  assertEquals(decoded, bytes);
});

Deno.test("jsonLine() escapes private use U+E000 and unassigned U+0378, as the text escapes do", () => {
  const line = jsonLine({ text: "a\ue000b\u0378c\u{f0000}\ufffe" });
  assertStrictEquals(
    line,
    '{"text":"a\\ue000b\\u0378c\\udb80\\udc00\\ufffe"}',
  );
  assertStrictEquals(JSON.parse(line).text, "a\ue000b\u0378c\u{f0000}\ufffe");
  // The same characters in text output: one rule for both.
  assertStrictEquals(
    escapeText("a\ue000b\u0378c\u{f0000}\ufffe"),
    "a\\u{e000}b\\u{378}c\\u{f0000}\\u{fffe}",
  );
});

Deno.test("jsonLine() escapes every code point escapeText() escapes, and no other", () => {
  for (let cp = 0x7f; cp <= 0x3000; cp++) {
    const c = String.fromCodePoint(cp);
    const escapedAsText = escapeText(c) !== c;
    const escapedAsJson = jsonLine(c) !== JSON.stringify(c);
    assertStrictEquals(escapedAsJson, escapedAsText, `U+${cp.toString(16)}`);
  }
});

/**
 * Invalid UTF-8 (a leading 0xff) of each length up to 7, around the fallback's
 * 12 KiB piece and past two of them.
 */
function binaries(): Uint8Array[] {
  const lengths = [1, 2, 3, 4, 5, 6, 7, 0x2fff, 0x3000, 0x3001, 0x3002, 0x6001];
  return lengths.map((length) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (i * 131 + 0xff) & 0xff;
    return bytes;
  });
}

Deno.test("dataFields() base64 is @std/encoding's, padding included, at every length", () => {
  for (const bytes of binaries()) {
    assertEquals(dataFields(bytes), { base64: encodeBase64(bytes) });
  }
});

Deno.test("dataFields() base64 without Uint8Array.prototype.toBase64 is the same", () => {
  const proto = Uint8Array.prototype as { toBase64?: unknown };
  const native = Object.getOwnPropertyDescriptor(proto, "toBase64");
  // Where the runtime has it, hide it; elsewhere the fallback runs anyway.
  if (native) delete proto.toBase64;
  try {
    assertStrictEquals(typeof new Uint8Array(1).toBase64, "undefined");
    for (const bytes of binaries()) {
      assertEquals(dataFields(bytes), { base64: encodeBase64(bytes) });
    }
  } finally {
    if (native) Object.defineProperty(proto, "toBase64", native);
  }
  assertStrictEquals(
    typeof new Uint8Array(1).toBase64,
    native ? "function" : "undefined",
  );
});
