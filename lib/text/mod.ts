/**
 * Terminal-safe text for what came from the network: escaped text, a hex
 * dump, JSON lines and `--trace` lines, under one rule for what must not reach a terminal
 * as is (controls, C1, format and bidi characters, separators, private use
 * and unassigned code points). Nothing here touches a socket; the tools use
 * it to show what peers send.
 *
 * ```ts
 * import { escapeBytes, jsonLine } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const datagram = new TextEncoder().encode("\x1b[2J\u202e");
 * assertEquals(escapeBytes(datagram), "\\x1b[2J\\u{202e}");
 * assertEquals(jsonLine({ text: "\u202e\ue000" }), '{"text":"\\u202e\\ue000"}');
 * ```
 *
 * @module
 */

export { escapeBytes, escapeText } from "./escape.ts";
export { hexDump } from "./hex_dump.ts";
export { dataFields, jsonLine } from "./json_line.ts";
export { formatTraceEvent, traceFields, traceFormatter } from "./trace.ts";
