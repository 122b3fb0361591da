/**
 * Terminal-safe rendering of text that came from the network.
 *
 * A peer controls every byte it sends. Printed raw, those bytes can move the
 * cursor, recolour or retitle the terminal (ESC, CSI, OSC and the C1
 * controls) or reorder what the reader sees (bidirectional overrides).
 * {@linkcode escapeBytes} and {@linkcode escapeText} turn such input into a
 * string that contains only printable characters and that is unambiguous:
 * a backslash in the output always starts one of these escapes.
 *
 * | Escape     | Meaning                                                      |
 * | ---------- | ------------------------------------------------------------ |
 * | `\\`       | a backslash                                                  |
 * | `\n`       | line feed (0x0a)                                             |
 * | `\r`       | carriage return (0x0d)                                       |
 * | `\t`       | tab (0x09)                                                   |
 * | `\xNN`     | another C0 control or DEL, or a byte that is not valid UTF-8 |
 * | `\u{NNNN}` | a valid code point that is not safe to print                 |
 *
 * Code points that are not safe to print are controls (`Cc`), format
 * characters (`Cf`, which includes the bidirectional controls and zero-width
 * characters), line and paragraph separators (`Zl`, `Zp`), private use
 * characters (`Co`), surrogates (`Cs`) and unassigned code points and
 * noncharacters (`Cn`). Hex digits are lowercase.
 *
 * @example Escape a hostile datagram
 * ```ts
 * import { escapeBytes } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const datagram = new TextEncoder().encode("\x1b[31mred\x1b[0m\n");
 * assertEquals(escapeBytes(datagram), "\\x1b[31mred\\x1b[0m\\n");
 * ```
 *
 * @module
 */

import { isUnsafe } from "./_unsafe.ts";

/**
 * Decodes runs already checked to be well-formed UTF-8. `ignoreBOM` keeps a
 * leading U+FEFF rather than dropping it, though such runs never hold one.
 */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Turns the UTF-16 code units built by {@linkcode escapeBytes} into a string.
 * A `Uint16Array` is in the platform's byte order, little-endian on every
 * target Deno supports.
 */
const utf16 = new TextDecoder("utf-16le", { ignoreBOM: true });

/** Inputs up to this many bytes are escaped in {@linkcode sharedUnits}. */
const MAX_SHARED_BYTES = 16 * 1024;

/**
 * Scratch space for {@linkcode escapeBytes}, allocated on first use. Sharing
 * it is safe because the function never yields while it holds the buffer.
 */
let sharedUnits: Uint16Array | undefined;

const BACKSLASH = 0x5c;
const LOWER_X = 0x78;
const LOWER_U = 0x75;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The code units of the lowercase hex digits, `0`-`9` and `a`-`f`. Written
 * out, like every table here: the module loads in every tool, and what runs
 * when it loads is paid on every start.
 */
const HEX_DIGITS = new Uint16Array([
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37,
  0x38,
  0x39,
  0x61,
  0x62,
  0x63,
  0x64,
  0x65,
  0x66,
]);

/**
 * For each ASCII code, the letter that follows the backslash in its short
 * escape (`t`, `n`, `r`, or the backslash itself), or 0 where there is none.
 */
const ESCAPE_LETTERS = new Uint16Array(0x80);
ESCAPE_LETTERS[0x09] = 0x74;
ESCAPE_LETTERS[0x0a] = 0x6e;
ESCAPE_LETTERS[0x0d] = 0x72;
ESCAPE_LETTERS[0x5c] = 0x5c;

/** Escapes an ASCII code that is a control, DEL or a backslash. */
function escapeAscii(code: number): string {
  const letter = ESCAPE_LETTERS[code]!;
  return letter === 0
    ? "\\x" +
      String.fromCharCode(HEX_DIGITS[code >> 4]!, HEX_DIGITS[code & 0xf]!)
    : "\\" + String.fromCharCode(letter);
}

/**
 * Decodes the UTF-8 sequence that starts at `bytes[i]`, a byte of 0x80 or
 * above. Only the well-formed sequences of Unicode's table 3-7 are accepted,
 * which rules out overlong forms, surrogates, code points above U+10FFFF and
 * truncated sequences.
 *
 * @returns The code point, or -1 when no well-formed sequence starts at `i`.
 */
function decodeAt(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  // 0x80–0xbf are continuation bytes, 0xc0 and 0xc1 only start overlong
  // forms and 0xf5–0xff would encode code points above U+10FFFF.
  if (lead < 0xc2 || lead > 0xf4) return -1;
  const length = bytes.length;
  if (lead < 0xe0) {
    if (i + 1 >= length) return -1;
    const b1 = bytes[i + 1]!;
    if ((b1 & 0xc0) !== 0x80) return -1;
    return ((lead & 0x1f) << 6) | (b1 & 0x3f);
  }
  if (lead < 0xf0) {
    if (i + 2 >= length) return -1;
    const b1 = bytes[i + 1]!;
    const b2 = bytes[i + 2]!;
    // 0xe0 needs 0xa0+ to not be overlong; 0xed needs at most 0x9f to not be
    // a surrogate.
    const min = lead === 0xe0 ? 0xa0 : 0x80;
    const max = lead === 0xed ? 0x9f : 0xbf;
    if (b1 < min || b1 > max || (b2 & 0xc0) !== 0x80) return -1;
    return ((lead & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
  }
  if (i + 3 >= length) return -1;
  const b1 = bytes[i + 1]!;
  const b2 = bytes[i + 2]!;
  const b3 = bytes[i + 3]!;
  // 0xf0 needs 0x90+ to not be overlong; 0xf4 needs at most 0x8f to stay at
  // or below U+10FFFF.
  const min = lead === 0xf0 ? 0x90 : 0x80;
  const max = lead === 0xf4 ? 0x8f : 0xbf;
  if (
    b1 < min || b1 > max || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80
  ) {
    return -1;
  }
  return ((lead & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) |
    (b3 & 0x3f);
}

/**
 * Renders bytes received from the network as a string that is safe to write
 * to a terminal.
 *
 * The bytes are decoded as strict UTF-8. Printable characters, quotes
 * included, are kept as they are. A backslash becomes `\\`; line feed,
 * carriage return and tab become `\n`, `\r` and `\t`; any other C0 control,
 * DEL and every byte that is not part of a well-formed UTF-8 sequence become
 * `\xNN`. A valid code point that is a control, format character, line or
 * paragraph separator, private use character, unassigned or a noncharacter
 * becomes `\u{N}`, as in `\u{202e}` or `\u{85}`. The result never contains
 * ESC, C1 or bidirectional controls, and different inputs always give
 * different results.
 *
 * Input of printable ASCII without a backslash is returned with no further
 * work, so the common case costs one pass over the bytes.
 *
 * @param bytes The bytes to render, for instance one datagram.
 * @returns The escaped text.
 *
 * @example Render a datagram that tries to retitle the terminal
 * ```ts
 * import { escapeBytes } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = new TextEncoder().encode("\x1b]0;pwned\x07caf\u00e9 \u202e");
 * assertEquals(escapeBytes(bytes), "\\x1b]0;pwned\\x07caf\u00e9 \\u{202e}");
 * ```
 *
 * @example Bytes that are not UTF-8
 * ```ts
 * import { escapeBytes } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = new Uint8Array([0x41, 0xff, 0xc0, 0xaf]);
 * assertEquals(escapeBytes(bytes), "A\\xff\\xc0\\xaf");
 * ```
 */
export function escapeBytes(bytes: Uint8Array): string {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const byte = bytes[i]!;
    if (byte < 0x20 || byte > 0x7e || byte === 0x5c) break;
    i++;
  }
  if (i === length) {
    // Short printable ASCII, the common case, needs no decoder at all.
    return length <= 256
      ? String.fromCharCode.apply(null, bytes as unknown as number[])
      : utf8.decode(bytes);
  }
  return escapeFrom(bytes, i);
}

/**
 * {@linkcode escapeBytes} from the first byte that needs an escape, `i`:
 * its own function because V8 compiles a function as a whole when it is
 * first called, and a one-shot tool that prints a greeting needs only the
 * scan above (STARTUP.md).
 */
function escapeFrom(bytes: Uint8Array, i: number): string {
  const length = bytes.length;
  // The output is built as UTF-16 code units and decoded once at the end: on
  // input that needs many escapes this is several times faster than joining
  // strings. No byte yields more than 4 units (`\xNN`; a 2-byte sequence
  // gives at most `\u{7ff}`, 3 bytes `\u{ffff}`, 4 bytes `\u{10ffff}`).
  const units = length <= MAX_SHARED_BYTES
    ? (sharedUnits ??= new Uint16Array(4 * MAX_SHARED_BYTES))
    : new Uint16Array(4 * length);
  let n = 0;
  for (; n < i; n++) units[n] = bytes[n]!;
  while (i < length) {
    const byte = bytes[i]!;
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x5c) {
      units[n++] = byte;
      i++;
      continue;
    }
    if (byte < 0x80) {
      units[n++] = BACKSLASH;
      const letter = ESCAPE_LETTERS[byte]!;
      if (letter !== 0) {
        units[n++] = letter;
      } else {
        units[n++] = LOWER_X;
        units[n++] = HEX_DIGITS[byte >> 4]!;
        units[n++] = HEX_DIGITS[byte & 0xf]!;
      }
      i++;
      continue;
    }
    const codePoint = decodeAt(bytes, i);
    if (codePoint < 0) {
      units[n++] = BACKSLASH;
      units[n++] = LOWER_X;
      units[n++] = HEX_DIGITS[byte >> 4]!;
      units[n++] = HEX_DIGITS[byte & 0xf]!;
      i++;
      continue;
    }
    i += codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (isUnsafe(codePoint)) {
      units[n++] = BACKSLASH;
      units[n++] = LOWER_U;
      units[n++] = OPEN_BRACE;
      let shift = 20;
      while (shift > 0 && (codePoint >> shift) === 0) shift -= 4;
      for (; shift >= 0; shift -= 4) {
        units[n++] = HEX_DIGITS[(codePoint >> shift) & 0xf]!;
      }
      units[n++] = CLOSE_BRACE;
    } else if (codePoint < 0x10000) {
      units[n++] = codePoint;
    } else {
      const offset = codePoint - 0x10000;
      units[n++] = 0xd800 | (offset >> 10);
      units[n++] = 0xdc00 | (offset & 0x3ff);
    }
  }
  return utf16.decode(new Uint8Array(units.buffer, 0, 2 * n));
}

/**
 * Renders an already decoded string, such as an error message that quotes a
 * peer or a host name, so that it is safe to write to a terminal.
 *
 * The rules are those of {@linkcode escapeBytes}. A string holds no invalid
 * bytes, so `\xNN` only appears for C0 controls and DEL; a lone surrogate is
 * shown as a code point, as in `\u{d800}`.
 *
 * @param text The text to render.
 * @returns The escaped text, or `text` itself when nothing needs escaping.
 *
 * @example Quote a host name that hides a bidirectional override
 * ```ts
 * import { escapeText } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(escapeText("exe.\u202etxt\n"), "exe.\\u{202e}txt\\n");
 * assertEquals(escapeText("lone \ud800"), "lone \\u{d800}");
 * ```
 */
export function escapeText(text: string): string {
  const length = text.length;
  let out = "";
  let start = 0; // first code unit of the literal run not yet in `out`
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e && code !== 0x5c) {
      i++;
      continue;
    }
    let escaped: string;
    let next = i + 1;
    if (code < 0x80) {
      escaped = escapeAscii(code);
    } else {
      const codePoint = text.codePointAt(i)!;
      if (codePoint > 0xffff) next = i + 2;
      if (!isUnsafe(codePoint)) {
        i = next;
        continue;
      }
      escaped = "\\u{" + codePoint.toString(16) + "}";
    }
    out += text.slice(start, i) + escaped;
    i = start = next;
  }
  return start === 0 ? text : out + text.slice(start);
}
