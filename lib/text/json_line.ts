/**
 * One JSON object per line, for `--json`: valid JSON that is also safe to
 * show on a terminal, and a way to carry bytes as text or base64.
 *
 * @module
 */

import { encodeBase64 } from "@std/encoding/base64";
import { isUnsafe } from "./_unsafe.ts";

/** Every character outside printable ASCII, one code point at a time. */
const NON_ASCII = /[^\x20-\x7e]/gu;

/** `\uXXXX` for each UTF-16 code unit of `c`. */
function unicodeEscape(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) {
    out += "\\u" + c.charCodeAt(i).toString(16).padStart(4, "0");
  }
  return out;
}

/**
 * Serialize a value as one line of JSON in which every character the text
 * escapes would escape (controls, C1, format and bidi characters, line and
 * paragraph separators, private use and unassigned code points) is written
 * as a `\uXXXX` escape: the same rule as `escapeText` (escape.ts).
 *
 * @param value Anything `JSON.stringify` takes.
 * @returns One line, no newline at the end.
 *
 * @example Escape sequences stay inert
 * ```ts
 * import { jsonLine } from "./json_line.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(jsonLine({ text: "\x1b[31m\u202e" }), '{"text":"\\u001b[31m\\u202e"}');
 * ```
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    NON_ASCII,
    (c) => isUnsafe(c.codePointAt(0)!) ? unicodeEscape(c) : c,
  );
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Describe bytes for a JSON event: `{ text }` when they are valid UTF-8,
 * otherwise `{ base64 }`.
 *
 * @param bytes The data.
 * @returns An object with exactly one of `text` or `base64`.
 *
 * @example Text and binary
 * ```ts
 * import { dataFields } from "./json_line.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(dataFields(new TextEncoder().encode("hi")), { text: "hi" });
 * assertEquals(dataFields(new Uint8Array([0xff])), { base64: "/w==" });
 * ```
 */
export function dataFields(
  bytes: Uint8Array,
): { text: string } | { base64: string } {
  try {
    return { text: STRICT_UTF8.decode(bytes) };
  } catch {
    return { base64: encodeBase64(bytes) };
  }
}
