// Private to cmd/: reading the tools' command lines. Options are collected by
// `@std/cli`'s `parseArgs`; what it does not check — unknown options, a
// missing value, a value given to a flag, getopt's `-p -1` and `-mHello` —
// is checked here, once, before it sees them. Every mistake is a
// UsageError whose message names the option or value.

import { parseArgs } from "@std/cli/parse-args";
import { checkHost } from "../lib/resolve.ts";

/** A mistake in the command line: one line on stderr, exit code 1. */
export class UsageError extends Error {
  /** Print the message as it is, not after `TOOL: ` (`usage: ...`). */
  readonly bare: boolean;
  /**
   * @param message The mistake, sentence case.
   * @param options `bare` for a line printed as it is.
   */
  constructor(message: string, options: { bare?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.bare = options.bare ?? false;
  }
}

/** How one option is written and what it takes. */
export interface OptionSpec {
  /** `"boolean"` for a flag, `"string"` for an option that takes a value. */
  type: "boolean" | "string";
  /** A one-letter alias, without the dash. */
  short?: string;
  /** Whether the option may be given more than once (values collected). */
  multiple?: boolean;
}

/** The values of the options of a spec, by long name. */
export type OptionValues<T extends Record<string, OptionSpec>> = {
  [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean
    : T[K]["multiple"] extends true ? string[]
    : string;
};

/** The options every tool takes. */
export const COMMON_OPTIONS = {
  port: { type: "string", short: "p" },
  ipv4: { type: "boolean", short: "4" },
  ipv6: { type: "boolean", short: "6" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  verbose: { type: "boolean", short: "v" },
  json: { type: "boolean" },
  trace: { type: "boolean" },
} as const satisfies Record<string, OptionSpec>;

/**
 * Parse a command line the way getopt does: `--port 80`, `--port=80`,
 * `-p 80`, `-p80`, grouped flags (`-4v`, `-4vp80`), options after
 * positionals, `--` ending the options and `-` as a positional. A
 * value-taking option consumes the next argument whatever it looks like
 * (`-p -1` reaches the port check as `"-1"`).
 *
 * @throws {UsageError} For an unknown option, a missing value, or a value
 *   given to a flag.
 */
export function parseCommandLine<T extends Record<string, OptionSpec>>(
  args: readonly string[],
  spec: T,
): { values: OptionValues<T>; positionals: string[] } {
  const byShort = new Map<string, string>();
  for (const [name, option] of Object.entries(spec)) {
    if (option.short) byShort.set(option.short, name);
  }
  const specOf = (name: string): OptionSpec | undefined =>
    Object.hasOwn(spec, name) ? spec[name] : undefined;
  // Each option in one form parseArgs reads unambiguously: `--name` or
  // `--name=value`; positionals after one `--`.
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const option = specOf(name);
      if (!option) throw new UsageError(`Unknown option "--${name}"`);
      if (option.type === "boolean") {
        if (eq !== -1) {
          throw new UsageError(`Option "--${name}" takes no value`);
        }
        options.push(`--${name}`);
      } else if (eq !== -1) {
        options.push(`--${name}=${arg.slice(eq + 1)}`);
      } else if (i + 1 < args.length) {
        options.push(`--${name}=${args[++i]}`);
      } else {
        throw new UsageError(`Option "--${name}" needs a value`);
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const name = byShort.get(letter);
        if (name === undefined) {
          throw new UsageError(`Unknown option "-${letter}"`);
        }
        if (spec[name]!.type === "boolean") {
          if (arg[j + 1] === "=") {
            throw new UsageError(`Option "-${letter}" takes no value`);
          }
          options.push(`--${name}`);
        } else if (j + 1 < arg.length) {
          options.push(`--${name}=${arg.slice(j + 1)}`);
          break;
        } else if (i + 1 < args.length) {
          options.push(`--${name}=${args[++i]}`);
        } else {
          throw new UsageError(`Option "-${letter}" needs a value`);
        }
      }
    } else {
      positionals.push(arg);
    }
  }
  const names = (f: (o: OptionSpec) => boolean): string[] =>
    Object.keys(spec).filter((name) => f(spec[name]!));
  const parsed = parseArgs(options, {
    boolean: names((o) => o.type === "boolean"),
    string: names((o) => o.type === "string"),
    collect: names((o) => o.multiple === true),
  }) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(spec)) {
    const value = parsed[name];
    // parseArgs gives every flag `false` and every list `[]` when absent.
    if (spec[name]!.type === "boolean" ? value === true : value !== undefined) {
      if (!Array.isArray(value) || value.length > 0) values[name] = value;
    }
  }
  return { values: values as OptionValues<T>, positionals };
}

const DECIMAL = /^[0-9]+$/;
const SECONDS = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

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
 * @throws {UsageError} `Invalid NAME "TEXT": not a whole decimal number`, or
 *   `must be MIN-MAX`, `must be at least MIN`, `too large`.
 */
export function parseInteger(
  text: string,
  options: ParseIntegerOptions,
): number {
  const { name, min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  if (!DECIMAL.test(text)) {
    throw new UsageError(
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
    throw new UsageError(`Invalid ${name} "${text}": ${range}`);
  }
  return value;
}

/** A port to bind: 0 to 65535, 0 asking the system for any free port. */
export function parseBindPort(text: string): number {
  return parseInteger(text, { name: "port", min: 0, max: 65_535 });
}

/** A port to connect or send to: 1 to 65535, as nc's `strtonum(port, 1, PORT_MAX)`. */
export function parseDestinationPort(text: string): number {
  return parseInteger(text, { name: "port", min: 1, max: 65_535 });
}

/**
 * Parse a duration in seconds (`"5"`, `"0.5"`) into milliseconds, which it
 * is rounded to: at least 0.001 (one millisecond), at most 86400 (a day).
 *
 * @throws {UsageError} `Invalid NAME "TEXT": ...`, as
 *   {@linkcode parseDecimal} words it.
 */
export function parseSeconds(text: string, name = "timeout"): number {
  const seconds = parseDecimal(text, {
    name,
    min: 0.001,
    max: 86_400,
    what: "number of seconds",
    unit: "seconds",
  });
  return Math.round(seconds * 1000);
}

/** Options for {@linkcode parseDecimal}. */
export interface ParseDecimalOptions {
  /** What the number is, for messages: `"rate"`, `"interval"`. */
  name: string;
  /** The smallest value accepted. @default {0} */
  min?: number;
  /** `min` as messages write it, when its decimal is long: `"1/86400"`. */
  minText?: string;
  /** The largest value accepted. */
  max: number;
  /** What the text should be, for messages. @default {"decimal number"} */
  what?: string;
  /** The unit after the range, for messages: `"seconds"`. */
  unit?: string;
}

/**
 * Parse a plain decimal number (`"20000"`, `"0.25"`, `".5"`; no sign, no
 * exponent) within a range.
 *
 * @throws {UsageError} `Invalid NAME "TEXT": not a plain decimal number (such
 *   as 2 or 0.5)`, or, for a number out of range (a negative one too),
 *   `must be MIN-MAX` when MIN is 0, `must be at least MIN and at most MAX`
 *   otherwise (`must be positive: ...` for 0 and below).
 */
export function parseDecimal(
  text: string,
  options: ParseDecimalOptions,
): number {
  const { name, min = 0, max, what = "decimal number" } = options;
  // A minus sign is read only to say the range: "-1" is out of it.
  const negative = text.startsWith("-");
  if (
    !SECONDS.test(negative ? text.slice(1) : text) ||
    (negative && Number(text) === 0) // "-0": a sign, and nothing out of range
  ) {
    throw new UsageError(
      `Invalid ${name} "${text}": not a plain ${what} (such as 2 or 0.5)`,
    );
  }
  const value = Number(text);
  if (negative || value < min || value > max) {
    const unit = options.unit ? ` ${options.unit}` : "";
    const range = min === 0
      ? `must be 0-${max}${unit}`
      : `${value <= 0 ? "must be positive: " : "must be "}at least ${
        options.minText ?? min
      } and at most ${max}${unit}`;
    throw new UsageError(`Invalid ${name} "${text}": ${range}`);
  }
  return value;
}

/**
 * Text from the command line that goes out as bytes (talker's MESSAGE,
 * server's `-m`). Deno gives no raw argv: it decodes each argument as UTF-8,
 * bytes that are not UTF-8 becoming U+FFFD, so `$'\xff\xfe'` would go out
 * as six other bytes. Text holding U+FFFD is refused instead: a real U+FFFD
 * cannot be told from one that stands for bytes lost.
 *
 * @param what What the text is, for the message: `"Message"`.
 * @param instead How to send such bytes instead, or what to give.
 * @throws {UsageError} `WHAT is not valid UTF-8 (or contains U+FFFD): ...`.
 */
export function parseArgumentText(
  text: string,
  what: string,
  instead: string,
): string {
  if (text.includes("\uFFFD")) {
    throw new UsageError(
      `${what} is not valid UTF-8 (or contains U+FFFD): Deno cannot pass ` +
        `its bytes on from the command line; ${instead}`,
    );
  }
  return text;
}

/** `-4`/`-6` as a family; both together is a usage error. */
export function familyOf(
  values: { ipv4?: boolean; ipv6?: boolean },
): 0 | 4 | 6 {
  if (values.ipv4 && values.ipv6) {
    throw new UsageError('Options "-4" and "-6" cannot be used together');
  }
  return values.ipv4 ? 4 : values.ipv6 ? 6 : 0;
}

/** A host as typed, checked as the resolver will (no lookup). */
export function parseHost(host: string): string {
  try {
    checkHost(host);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // The flag hint is the tools' to give, not the library's.
    // Only for what reads as HOST:PORT (`localhost:3490`, `[::1]:3490`).
    const hint = error.message.endsWith(": not a name or address") &&
        /^(?:[^:]+|\[[^\]]*\]):[0-9]+$/.test(host)
      ? "; give the port with --port"
      : "";
    throw new UsageError(error.message + hint);
  }
  return host;
}

/**
 * `-b ADDR`: an address or name to bind, not empty, checked as
 * {@linkcode parseHost} checks a host to reach (no wildcard form: without
 * `-b` both wildcards are bound; `-b ::` or `-b 0.0.0.0` binds one).
 */
export function parseBind(bind: string | undefined): string | undefined {
  if (bind === undefined) return undefined;
  if (bind === "") throw new UsageError("Invalid bind address: empty");
  return parseHost(bind);
}

/** The one positional-free check of server and listener. */
export function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${positionals[0]}"`);
  }
}
