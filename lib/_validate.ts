// Private to lib/: checking a resource's options before any socket is
// opened, as Deno's own APIs do: a value of the wrong type is a TypeError,
// a number out of range a RangeError. Messages name the option.

/** The options object itself: an object or nothing. */
export function checkOptionsObject(options: unknown, what: string): void {
  if (options !== undefined && (typeof options !== "object" || !options)) {
    throw new TypeError(`Invalid ${what} options: must be an object`);
  }
}

function typeName(value: unknown): string {
  return value === null ? "null" : typeof value;
}

function mustBeNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: must be a number, not ${typeName(value)}`,
    );
  }
}

/** A port: an integer 0-65535 (0 for any free port). */
export function checkPort(value: unknown): number {
  if (value === undefined) return 0;
  mustBeNumber("port", value);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new RangeError(`Invalid port "${value}": must be an integer 0-65535`);
  }
  return value;
}

/** A count: a positive integer, or `Infinity` when `infinite` allows it. */
export function checkPositiveInteger(
  name: string,
  value: unknown,
  infinite = false,
): void {
  if (value === undefined) return;
  mustBeNumber(name, value);
  if (infinite && value === Infinity) return;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Invalid ${name} "${value}": must be a positive integer${
        infinite ? " or Infinity" : ""
      }`,
    );
  }
}

/** A duration in milliseconds: finite, not negative. */
export function checkMilliseconds(name: string, value: unknown): void {
  if (value === undefined) return;
  mustBeNumber(name, value);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Invalid ${name} "${value}": must be a finite number of ms, 0 or more`,
    );
  }
}

/** An address family: `0` (both), `4` or `6`. */
export function checkFamily(value: unknown): void {
  if (value === undefined) return;
  mustBeNumber("family", value);
  if (value !== 0 && value !== 4 && value !== 6) {
    throw new RangeError(`Invalid family "${value}": must be 0, 4 or 6`);
  }
}

/** A hostname: a string, when given. */
export function checkString(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(
      `Invalid ${name}: must be a string, not ${typeName(value)}`,
    );
  }
}

/** A callback: a function, when given (or always, when `required`). */
export function checkFunction(
  name: string,
  value: unknown,
  required = false,
): void {
  if (value === undefined && !required) return;
  if (typeof value !== "function") {
    throw new TypeError(
      `Invalid ${name}: must be a function, not ${typeName(value)}`,
    );
  }
}

/** A signal: an `AbortSignal`, when given. */
export function checkSignal(value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(
      `Invalid signal: must be an AbortSignal, not ${typeName(value)}`,
    );
  }
}
