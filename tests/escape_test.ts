import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
  fail,
} from "@std/assert";
import { escapeBytes, escapeText } from "../lib/text/escape.ts";

const encoder = new TextEncoder();

/** Code points a terminal must never receive from a peer. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Asserts that `text` holds no control (C0, DEL, C1), format, separator,
 * private use, surrogate or unassigned code point.
 */
function assertTerminalSafe(text: string, message?: string): void {
  const unsafe = UNSAFE.exec(text);
  if (unsafe === null) return;
  const codePoint = unsafe[0].codePointAt(0)!.toString(16);
  fail(`${message ?? JSON.stringify(text)} holds U+${codePoint}`);
}

/**
 * Reads escaped text back into the bytes it came from, failing on any
 * malformed escape. `invalid` tells whether a `\xNN` stood for a byte of 0x80
 * or above, that is a byte that was not part of well-formed UTF-8.
 */
function unescape(text: string): { bytes: Uint8Array; invalid: boolean } {
  const bytes: number[] = [];
  let invalid = false;
  let i = 0;
  while (i < text.length) {
    const char = String.fromCodePoint(text.codePointAt(i)!);
    i += char.length;
    if (char !== "\\") {
      if (char < "\x80") bytes.push(char.charCodeAt(0));
      else bytes.push(...encoder.encode(char));
      continue;
    }
    const kind = text[i++];
    if (kind === "\\") bytes.push(0x5c);
    else if (kind === "n") bytes.push(0x0a);
    else if (kind === "r") bytes.push(0x0d);
    else if (kind === "t") bytes.push(0x09);
    else if (kind === "x") {
      const hex = text.slice(i, i + 2);
      assertMatch(hex, /^[0-9a-f]{2}$/, `bad \\x escape in ${text}`);
      const byte = parseInt(hex, 16);
      if (byte >= 0x80) invalid = true;
      bytes.push(byte);
      i += 2;
    } else if (kind === "u") {
      const match = /^\{([0-9a-f]{1,6})\}/.exec(text.slice(i));
      assert(match, `bad \\u escape in ${text}`);
      bytes.push(
        ...encoder.encode(String.fromCodePoint(parseInt(match[1]!, 16))),
      );
      i += match[0].length;
    } else {
      fail(`unknown escape \\${kind} in ${text}`);
    }
  }
  return { bytes: new Uint8Array(bytes), invalid };
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Whether `bytes` is well-formed UTF-8, according to `TextDecoder`. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Asserts that escaping `bytes` gives safe text that reads back to exactly
 * `bytes`, and that it marks bytes as invalid exactly when `TextDecoder`
 * rejects the input.
 */
function assertRoundTrip(bytes: Uint8Array): void {
  const escaped = escapeBytes(bytes);
  const back = unescape(escaped);
  const label = (): string =>
    `[${bytes.join(", ")}] -> ${JSON.stringify(escaped)}`;
  if (UNSAFE.test(escaped)) assertTerminalSafe(escaped, label());
  if (
    back.bytes.length !== bytes.length ||
    back.bytes.some((b, i) => b !== bytes[i])
  ) {
    assertEquals(back.bytes, bytes, label());
  }
  if (back.invalid === isUtf8(bytes)) {
    assertStrictEquals(back.invalid, !isUtf8(bytes), label());
  }
}

Deno.test("escapeBytes() returns printable ASCII unchanged", () => {
  const text =
    ` !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_` +
    "`abcdefghijklmnopqrstuvwxyz{|}~";
  assertStrictEquals(escapeBytes(encoder.encode(text)), text);
  assertStrictEquals(escapeBytes(new Uint8Array()), "");
});

Deno.test("escapeBytes() doubles a backslash so the output is unambiguous", () => {
  assertStrictEquals(escapeBytes(encoder.encode("\\")), "\\\\");
  assertStrictEquals(
    escapeBytes(encoder.encode("C:\\temp\\")),
    "C:\\\\temp\\\\",
  );
});

Deno.test("escapeBytes() writes line feed, carriage return and tab as \\n, \\r and \\t", () => {
  assertStrictEquals(
    escapeBytes(encoder.encode("a\tb\r\nc\n")),
    "a\\tb\\r\\nc\\n",
  );
});

Deno.test("escapeBytes() writes DEL and the other C0 controls as \\xNN", () => {
  assertStrictEquals(
    escapeBytes(new Uint8Array([0x00, 0x07, 0x08, 0x0b, 0x0c, 0x1f, 0x7f])),
    "\\x00\\x07\\x08\\x0b\\x0c\\x1f\\x7f",
  );
});

Deno.test("escapeBytes() renders every single byte value as printable text", () => {
  for (let byte = 0; byte <= 0xff; byte++) {
    const escaped = escapeBytes(new Uint8Array([byte]));
    const hex = "\\x" + byte.toString(16).padStart(2, "0");
    const expected = byte === 0x09
      ? "\\t"
      : byte === 0x0a
      ? "\\n"
      : byte === 0x0d
      ? "\\r"
      : byte === 0x5c
      ? "\\\\"
      : byte >= 0x20 && byte <= 0x7e
      ? String.fromCharCode(byte)
      : hex;
    assertStrictEquals(escaped, expected, `byte 0x${byte.toString(16)}`);
    for (let i = 0; i < escaped.length; i++) {
      const code = escaped.charCodeAt(i);
      assert(
        code >= 0x20 && code < 0x7f,
        `byte 0x${byte.toString(16)} gave code 0x${code.toString(16)}`,
      );
    }
  }
});

Deno.test("escapeBytes() escapes ESC so a peer cannot recolour the terminal", () => {
  const escaped = escapeBytes(encoder.encode("\x1b[31mred\x1b[0m"));
  assertStrictEquals(escaped, "\\x1b[31mred\\x1b[0m");
  assert(!escaped.includes("\x1b"));
});

Deno.test("escapeBytes() escapes an OSC sequence so a peer cannot retitle the terminal", () => {
  assertStrictEquals(
    escapeBytes(encoder.encode("\x1b]0;title\x07")),
    "\\x1b]0;title\\x07",
  );
  assertStrictEquals(
    escapeBytes(encoder.encode("\x1b]0;title\x1b\\")),
    "\\x1b]0;title\\x1b\\\\",
  );
});

Deno.test("escapeBytes() escapes C1 controls encoded as UTF-8", () => {
  // U+009B is the single-character CSI; U+0085 is NEL.
  assertStrictEquals(escapeBytes(new Uint8Array([0xc2, 0x9b])), "\\u{9b}");
  assertStrictEquals(
    escapeBytes(new Uint8Array([0xc2, 0x9b, 0x33, 0x31, 0x6d])),
    "\\u{9b}31m",
  );
  assertStrictEquals(escapeBytes(new Uint8Array([0xc2, 0x85])), "\\u{85}");
  assertStrictEquals(escapeBytes(new Uint8Array([0xc2, 0x80])), "\\u{80}");
  assertStrictEquals(escapeBytes(new Uint8Array([0xc2, 0x9f])), "\\u{9f}");
});

Deno.test("escapeBytes() writes each byte of invalid UTF-8 as \\xNN", () => {
  const cases: [number[], string][] = [
    [[0xff], "\\xff"],
    [[0x80], "\\x80"],
    // Truncated, at the end and before another character.
    [[0xe2, 0x82], "\\xe2\\x82"],
    [[0xe2, 0x82, 0x41], "\\xe2\\x82A"],
    [[0xf0, 0x9f, 0x98], "\\xf0\\x9f\\x98"],
    [[0xc3], "\\xc3"],
    // Overlong forms of "/" and of U+0000.
    [[0xc0, 0xaf], "\\xc0\\xaf"],
    [[0xe0, 0x80, 0xaf], "\\xe0\\x80\\xaf"],
    [[0xf0, 0x80, 0x80, 0xaf], "\\xf0\\x80\\x80\\xaf"],
    [[0xc0, 0x80], "\\xc0\\x80"],
    // Overlong encodings of ESC and of C1 CSI.
    [[0xc0, 0x9b], "\\xc0\\x9b"],
    [[0xe0, 0x82, 0x9b], "\\xe0\\x82\\x9b"],
    // Encoded surrogates U+D800 and U+DFFF.
    [[0xed, 0xa0, 0x80], "\\xed\\xa0\\x80"],
    [[0xed, 0xbf, 0xbf], "\\xed\\xbf\\xbf"],
    // Above U+10FFFF.
    [[0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"],
    [[0xf5, 0x80, 0x80, 0x80], "\\xf5\\x80\\x80\\x80"],
  ];
  for (const [bytes, expected] of cases) {
    assertStrictEquals(escapeBytes(new Uint8Array(bytes)), expected);
  }
});

Deno.test("escapeBytes() escapes bidirectional controls such as U+202E", () => {
  assertStrictEquals(
    escapeBytes(encoder.encode("invoice\u202etxt.exe")),
    "invoice\\u{202e}txt.exe",
  );
  const bidi = [
    0x061c,
    0x200e,
    0x200f,
    0x202a,
    0x202b,
    0x202c,
    0x202d,
    0x202e,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
  ];
  for (const codePoint of bidi) {
    assertStrictEquals(
      escapeBytes(encoder.encode(String.fromCodePoint(codePoint))),
      `\\u{${codePoint.toString(16)}}`,
    );
  }
});

Deno.test("escapeBytes() escapes invisible, separator, private use and unassigned code points", () => {
  const escaped = [
    0x00ad, // soft hyphen (Cf)
    0x200b, // zero width space (Cf)
    0x200d, // zero width joiner (Cf)
    0x2060, // word joiner (Cf)
    0xfeff, // zero width no-break space, the BOM (Cf)
    0xe0001, // language tag (Cf)
    0x2028, // line separator (Zl)
    0x2029, // paragraph separator (Zp)
    0xe000, // private use (Co)
    0xf0000, // supplementary private use (Co)
    0x0378, // unassigned (Cn)
    0xfdd0, // noncharacter (Cn)
    0xfffe, // noncharacter (Cn)
    0xffff, // noncharacter (Cn)
    0x10ffff, // noncharacter (Cn)
  ];
  for (const codePoint of escaped) {
    assertStrictEquals(
      escapeBytes(encoder.encode(String.fromCodePoint(codePoint))),
      `\\u{${codePoint.toString(16)}}`,
    );
  }
  // A leading BOM is escaped, not silently dropped.
  assertStrictEquals(
    escapeBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])),
    "\\u{feff}A",
  );
});

Deno.test("escapeBytes() keeps valid multibyte text", () => {
  for (const text of ["é", "日本", "😀", "café 日本語 😀 ¡olé! ½ ÿ Ā"]) {
    assertStrictEquals(escapeBytes(encoder.encode(text)), text);
  }
  // Also when an escape comes first.
  assertStrictEquals(
    escapeBytes(encoder.encode("\té日本😀\n")),
    "\\té日本😀\\n",
  );
});

Deno.test("escapeBytes() gives different outputs for different inputs", () => {
  const inputs = [
    encoder.encode("\\x1b"), // the four characters \ x 1 b
    new Uint8Array([0x1b]), // ESC
    encoder.encode("\\xff"),
    new Uint8Array([0xff]),
    encoder.encode("\\u{202e}"),
    encoder.encode("\u202e"),
    encoder.encode("\\x41"),
    encoder.encode("A"),
    encoder.encode("\\n"),
    encoder.encode("\n"),
    encoder.encode("\\\\"),
    encoder.encode("\\"),
    new Uint8Array([0x85]),
    encoder.encode("\u0085"),
  ];
  const outputs = inputs.map(escapeBytes);
  assertStrictEquals(new Set(outputs).size, inputs.length, outputs.join(" "));
  assertStrictEquals(outputs[0], "\\\\x1b");
  assertStrictEquals(outputs[1], "\\x1b");
  assertStrictEquals(outputs[6], "\\\\x41");
  assertStrictEquals(outputs[7], "A");
  // The byte 0x41 is the letter A, so it is shown as one.
  assertStrictEquals(escapeBytes(new Uint8Array([0x41])), "A");
});

Deno.test("escapeBytes() output reads back to the input for every one- and two-byte input", () => {
  assertRoundTrip(new Uint8Array());
  for (let a = 0; a <= 0xff; a++) {
    assertRoundTrip(new Uint8Array([a]));
    for (let b = 0; b <= 0xff; b++) assertRoundTrip(new Uint8Array([a, b]));
  }
});

Deno.test("escapeBytes() agrees with TextDecoder on longer UTF-8 boundary cases", () => {
  // Bytes at the edges of Unicode's table of well-formed sequences.
  const edges = [
    0x00,
    0x41,
    0x5c,
    0x7f,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc1,
    0xc2,
    0xdf,
    0xe0,
    0xe1,
    0xec,
    0xed,
    0xee,
    0xef,
    0xf0,
    0xf1,
    0xf3,
    0xf4,
    0xf5,
    0xff,
  ];
  for (const a of edges) {
    for (const b of edges) {
      for (const c of edges) {
        assertRoundTrip(new Uint8Array([a, b, c]));
        if (a < 0xf0) continue;
        for (const d of edges) assertRoundTrip(new Uint8Array([a, b, c, d]));
      }
    }
  }
});

Deno.test("escapeBytes() output reads back to the input for random bytes", () => {
  // A fixed xorshift sequence, so a failure can be reproduced.
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const alphabet = [
    ...encoder.encode("a\\\n\x1b é日😀\u202e\u0085"),
    0x80,
    0xbf,
    0xc0,
    0xed,
    0xf4,
    0xff,
  ];
  for (let round = 0; round < 2000; round++) {
    const bytes = Uint8Array.from(
      { length: next() % 48 },
      () => next() % 2 ? alphabet[next() % alphabet.length]! : next() & 0xff,
    );
    assertRoundTrip(bytes);
  }
});

Deno.test("escapeBytes() handles inputs larger than its scratch buffer", () => {
  const bytes = encoder.encode("a\x1b\u202e😀".repeat(10_000));
  assertStrictEquals(escapeBytes(bytes), "a\\x1b\\u{202e}😀".repeat(10_000));
  // And still works for small inputs afterwards.
  assertStrictEquals(escapeBytes(encoder.encode("b\x1b")), "b\\x1b");
});

Deno.test("escapeBytes() escapes only the bytes of a view", () => {
  const buffer = encoder.encode("\x1bab\x07cd\x1b");
  assertStrictEquals(escapeBytes(buffer.subarray(1, 3)), "ab");
  assertStrictEquals(escapeBytes(buffer.subarray(1, 6)), "ab\\x07cd");
});

Deno.test("escapeText() applies the rules of escapeBytes() to a decoded string", () => {
  const texts = [
    "",
    "plain ASCII",
    "back\\slash",
    "a\tb\r\nc",
    "\x00\x1b[31m\x7f",
    "\u0085\u009b",
    "café 日本 😀",
    "invoice\u202etxt.exe",
    "\ufeff\u200b\u2028\u2029\ue000\u0378\ufffe\u{10ffff}",
    "\\x1b \\u{202e}",
  ];
  for (const text of texts) {
    const escaped = escapeText(text);
    assertStrictEquals(escaped, escapeBytes(encoder.encode(text)));
    assertTerminalSafe(escaped);
  }
});

Deno.test("escapeText() shows a lone surrogate as \\u{d800}", () => {
  assertStrictEquals(escapeText("\ud800"), "\\u{d800}");
  assertStrictEquals(escapeText("a\udfffb"), "a\\u{dfff}b");
  // A low surrogate before a high one is two lone surrogates, not a pair.
  assertStrictEquals(escapeText("\udc00\ud83d"), "\\u{dc00}\\u{d83d}");
  assertStrictEquals(escapeText("\ud83d\ude00"), "😀");
});

Deno.test("escapeText() returns text that needs no escaping as it is", () => {
  const text = "host.example 日本";
  assertStrictEquals(escapeText(text), text);
});
