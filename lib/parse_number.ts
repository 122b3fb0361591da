/**
 * Range-checked parsing of the numbers users type on the command line:
 * ports, counts, byte sizes and seconds. Every failure names the value.
 *
 * @module
 */

const DECIMAL = /^[0-9]+$/;
const SECONDS = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/**
 * Parse a port number: decimal digits only, 0 to 65535 (0 asks the system
 * for any free port).
 *
 * @param text The port as typed, for example `"3490"`.
 * @returns The port.
 * @throws {SyntaxError} When `text` is not a decimal number (`"0x10"`, `"-1"`).
 * @throws {RangeError} When the number is above 65535.
 *
 * @example Valid and invalid ports
 * ```ts
 * import { parsePort } from "./parse_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parsePort("3490"), 3490);
 * assert.throws(() => parsePort("65536"), RangeError);
 * assert.throws(() => parsePort("3490x"), SyntaxError);
 * ```
 */
export function parsePort(text: string): number {
  return parseInteger(text, { name: "port", min: 0, max: 65_535 });
}

/** Options for {@linkcode parseInteger}. */
export interface ParseIntegerOptions {
  /** What the number is, for messages: `"port"`, `"count"`. */
  name: string;
  /** The smallest value accepted. @default {0} */
  min?: number;
  /** The largest value accepted. @default {Number.MAX_SAFE_INTEGER} */
  max?: number;
}

/**
 * Parse a whole decimal number within a range.
 *
 * @param text The number as typed.
 * @param options The name and range.
 * @returns The number.
 * @throws {SyntaxError} When `text` is not made of decimal digits.
 * @throws {RangeError} When the number is outside `min`–`max`.
 *
 * @example A count of at least one
 * ```ts
 * import { parseInteger } from "./parse_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseInteger("10", { name: "count", min: 1 }), 10);
 * assert.throws(
 *   () => parseInteger("0", { name: "count", min: 1 }),
 *   { message: 'Invalid count "0": must be at least 1' },
 * );
 * ```
 */
export function parseInteger(
  text: string,
  options: ParseIntegerOptions,
): number {
  const { name, min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  if (!DECIMAL.test(text)) {
    throw new SyntaxError(
      `Invalid ${name} "${text}": not a whole decimal number`,
    );
  }
  const value = Number(text);
  if (value < min || value > max) {
    const range = max !== Number.MAX_SAFE_INTEGER
      ? `must be ${min}-${max}`
      : value < min
      ? `must be at least ${min}`
      : "too large";
    throw new RangeError(`Invalid ${name} "${text}": ${range}`);
  }
  return value;
}

/**
 * Parse a duration in seconds (`"5"`, `"0.5"`) into milliseconds.
 *
 * @param text The seconds as typed; must be above zero.
 * @param name What the duration is, for messages. @default {"timeout"}
 * @returns The duration in milliseconds.
 * @throws {SyntaxError} When `text` is not a decimal number.
 * @throws {RangeError} When the duration is zero or longer than a day.
 *
 * @example Half a second
 * ```ts
 * import { parseSeconds } from "./parse_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSeconds("0.5"), 500);
 * ```
 */
export function parseSeconds(text: string, name = "timeout"): number {
  if (!SECONDS.test(text)) {
    throw new SyntaxError(`Invalid ${name} "${text}": not a number of seconds`);
  }
  const ms = Math.round(Number(text) * 1000);
  if (ms < 1 || ms > 86_400_000) {
    throw new RangeError(
      `Invalid ${name} "${text}": must be more than 0 and at most 86400 seconds`,
    );
  }
  return ms;
}
