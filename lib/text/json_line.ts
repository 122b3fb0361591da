/**
 * One JSON object per line, for `--json`: valid JSON that is also safe to
 * show on a terminal, and a way to carry bytes as text or base64.
 *
 * @module
 */

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
 * import { jsonLine } from "@beejnet/beejnet/text";
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

/** How many bytes {@linkcode base64Of} turns into one binary string at a time. */
const BASE64_CHUNK = 0x3000;

/**
 * Standard base64 with padding (RFC 4648, section 4). Deno's own
 * `Uint8Array.prototype.toBase64` where the runtime has it (V8 14 and
 * later), else `btoa` over binary strings of whole 3-byte groups, so the
 * pieces join without padding in between. No JSR package: a tool pays for
 * resolving every package its module graph names.
 */
function base64Of(bytes: Uint8Array): string {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  let out = "";
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK) {
    const piece = bytes.subarray(i, i + BASE64_CHUNK);
    out += btoa(String.fromCharCode.apply(null, piece as unknown as number[]));
  }
  return out;
}

/**
 * Describe bytes for a JSON event: `{ text }` when they are valid UTF-8,
 * otherwise `{ base64 }` (standard alphabet, padded).
 *
 * @param bytes The data.
 * @returns An object with exactly one of `text` or `base64`.
 *
 * @example Text and binary
 * ```ts
 * import { dataFields } from "@beejnet/beejnet/text";
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
    return { base64: base64Of(bytes) };
  }
}
