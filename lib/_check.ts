// Private to lib/: the checks of options, one message style for all:
// `Invalid NAME "VALUE": what it must be`. A wrong type is a TypeError, a
// number out of range a RangeError, as Deno's own APIs throw.

/** The longest delay a timer takes (2^31 − 1 ms); more fires at once. */
export const MAX_TIMEOUT = 2_147_483_647;

/** A value as a message quotes it, never throwing (objects by their type). */
function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) return "object";
  if (typeof value === "function" || typeof value === "symbol") {
    return typeof value;
  }
  return String(value);
}

/** `Invalid NAME "VALUE": DETAIL`. */
function invalid(name: string, value: unknown, detail: string): string {
  return `Invalid ${name} "${show(value)}": ${detail}`;
}

/** A number, or a TypeError naming `name`. */
function checkNumber(value: unknown, name: string): number {
  if (typeof value !== "number") {
    throw new TypeError(invalid(name, value, "not a number"));
  }
  return value;
}

/** A port from `min` (1 for a destination, 0 to bind any) to 65535. */
export function checkPort(value: unknown, min: 0 | 1 = 1): number {
  const port = checkNumber(value, "port");
  if (!(Number.isInteger(port) && port >= min && port <= 65_535)) {
    throw new RangeError(
      invalid("port", value, `not an integer from ${min} to 65535`),
    );
  }
  return port;
}

/** A timeout in ms: more than 0, at most {@linkcode MAX_TIMEOUT}. */
export function checkTimeout(value: unknown, name: string): number {
  const ms = checkNumber(value, name);
  if (!(ms > 0 && ms <= MAX_TIMEOUT)) {
    throw new RangeError(
      invalid(name, value, `not more than 0 ms and at most ${MAX_TIMEOUT} ms`),
    );
  }
  return ms;
}

/** A count of bytes: an integer of at least 1, or `Infinity` for no limit. */
export function checkByteLimit(value: unknown, name: string): number {
  const n = checkNumber(value, name);
  if (!(Number.isInteger(n) && n >= 1) && n !== Infinity) {
    throw new RangeError(
      invalid(name, value, "not an integer of at least 1, nor Infinity"),
    );
  }
  return n;
}

/** An address family: 0 (any), 4 or 6. */
export function checkFamily(value: unknown): 0 | 4 | 6 {
  const family = checkNumber(value, "family");
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new RangeError(invalid("family", value, "not 0, 4 or 6"));
  }
  return family;
}

/** Nothing, or an `AbortSignal`. */
export function checkSignal(value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(invalid("signal", value, "not an AbortSignal"));
  }
}

/** Nothing, or a function (a callback option). */
export function checkFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(invalid(name, value, "not a function"));
  }
}

/** An options argument: nothing or an object. */
export function checkOptions(value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(invalid("options", value, "not an object"));
  }
}
