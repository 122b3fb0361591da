/**
 * One JSON object per line, for `--json`: valid JSON that is also safe to
 * show on a terminal, and a way to carry bytes as text or base64.
 *
 * @module
 */

// Characters JSON.stringify leaves raw that a terminal or a line-based
// reader could act on: DEL, C1 controls, format characters (bidi overrides),
// line and paragraph separators.
const UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/**
 * Serialize a value as one line of JSON in which every control, C1, bidi
 * and separator character is written as a `\uXXXX` escape.
 *
 * @param value Anything `JSON.stringify` takes.
 * @returns One line, no newline at the end.
 *
 * @example Escape sequences stay inert
 * ```ts
 * import { jsonLine } from "./json_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(jsonLine({ text: "\x1b[31m\u202e" }), '{"text":"\\u001b[31m\\u202e"}');
 * ```
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE,
    (c) =>
      Array.from(
        { length: c.length },
        (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`,
      ).join(""),
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
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(dataFields(new TextEncoder().encode("hi")), { text: "hi" });
 * assert.deepEqual(dataFields(new Uint8Array([0xff])), { base64: "/w==" });
 * ```
 */
export function dataFields(
  bytes: Uint8Array,
): { text: string } | { base64: string } {
  try {
    return { text: STRICT_UTF8.decode(bytes) };
  } catch {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return { base64: btoa(binary) };
  }
}
