// Private to lib/: the checks of a call's arguments and options, made before
// any socket opens, as Deno's own APIs make them: a value of the wrong type is
// a TypeError, a number out of range a RangeError. One message style:
//   Invalid NAME "VALUE": must be WHAT       (a value out of range)
//   Invalid NAME: must be WHAT, not TYPE     (a value of the wrong type, not
//                                             quoted: it may be an object)
// An option left `undefined` passes every check (it takes its default),
// unless the check is told the value is required.

/** The longest delay a timer takes (2^31 − 1 ms); more fires at once. */
export const MAX_TIMEOUT = 2_147_483_647;

/** The type a message names: `null`, or what `typeof` says. */
function typeName(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/** `Invalid NAME: must be WHAT, not TYPE`, as a TypeError. */
export function wrongType(name: string, what: string, value: unknown): never {
  throw new TypeError(
    `Invalid ${name}: must be ${what}, not ${typeName(value)}`,
  );
}

/** `Invalid NAME "VALUE": must be WHAT`, as a RangeError. */
function outOfRange(name: string, value: number, what: string): never {
  throw new RangeError(`Invalid ${name} "${value}": must be ${what}`);
}

/**
 * Whether `value` is given, checked to be of `type`: `undefined` is not
 * given, unless `required`.
 */
function given(
  name: string,
  value: unknown,
  type: "number" | "string" | "function",
  required = false,
): boolean {
  if (value === undefined && !required) return false;
  const actual: string = typeof value;
  if (actual !== type) wrongType(name, `a ${type}`, value);
  return true;
}

/**
 * The options object of `call` (`"readAll()"`): an object, or nothing
 * unless `required`.
 */
export function checkOptions(
  call: string,
  options: unknown,
  required = false,
): void {
  if (options === undefined) {
    if (required) throw new TypeError(`Invalid ${call} options: missing`);
    return;
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Invalid ${call} options: must be an object`);
  }
}

/**
 * An integer from `min` to `max` (`an integer 1-16`), or from `min` up
 * (`an integer 0 or more`) without `max`.
 */
export function checkInteger(
  name: string,
  value: unknown,
  range: { min: number; max?: number },
  required = false,
): void {
  if (!given(name, value, "number", required)) return;
  const n = value as number;
  const { min, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    outOfRange(
      name,
      n,
      range.max === undefined
        ? `an integer ${min} or more`
        : `an integer ${min}-${max}`,
    );
  }
}

/** A port: an integer 0-65535 (0 for any free port, to bind). */
export function checkPort(value: unknown, required = false): void {
  checkInteger("port", value, { min: 0, max: 65_535 }, required);
}

/** A count: a positive integer, or `Infinity` when `infinite` allows it. */
export function checkPositiveInteger(
  name: string,
  value: unknown,
  infinite = false,
): void {
  if (!given(name, value, "number")) return;
  const n = value as number;
  if (infinite && n === Infinity) return;
  if (!Number.isSafeInteger(n) || n < 1) {
    outOfRange(
      name,
      n,
      `a positive integer${infinite ? " or Infinity" : ""}`,
    );
  }
}

/** A timeout in ms that a timer can wait: more than 0, at most `MAX_TIMEOUT`. */
export function checkTimeout(name: string, value: unknown): void {
  if (!given(name, value, "number")) return;
  const ms = value as number;
  if (!(ms > 0 && ms <= MAX_TIMEOUT)) {
    outOfRange(name, ms, `more than 0 and at most ${MAX_TIMEOUT} ms`);
  }
}

/** A duration in ms that may be 0 (no wait): finite, not negative. */
export function checkMilliseconds(name: string, value: unknown): void {
  if (!given(name, value, "number")) return;
  const ms = value as number;
  if (!Number.isFinite(ms) || ms < 0) {
    outOfRange(name, ms, "a finite number of ms, 0 or more");
  }
}

/** An address family: `0` (both), `4` or `6`. */
export function checkFamily(value: unknown): void {
  if (!given("family", value, "number")) return;
  if (value !== 0 && value !== 4 && value !== 6) {
    outOfRange("family", value as number, "0, 4 or 6");
  }
}

/** A string, when given (or always, when `required`). */
export function checkString(
  name: string,
  value: unknown,
  required = false,
): void {
  given(name, value, "string", required);
}

/** A callback: a function, when given (or always, when `required`). */
export function checkFunction(
  name: string,
  value: unknown,
  required = false,
): void {
  given(name, value, "function", required);
}

/** A signal: an `AbortSignal`, when given. */
export function checkSignal(value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    wrongType("signal", "an AbortSignal", value);
  }
}

/** Whether a callback returned something to wait for (a promise, or any thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then ===
    "function";
}
