// Private to cmd/: reading the tools' command lines. Each tool declares its
// options once (OptionDeclarations); `@std/cli`'s `parseArgs` parses them
// with a spec derived from the declarations, behind a short rewrite of the
// getopt forms it reads otherwise (`getoptForms`), and the help's lines
// come from the same declarations. Every mistake is a UsageError whose
// message names the option or value.

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

/**
 * One option of a tool, declared once: the parser's spec and the help's
 * line both come from it.
 */
export interface OptionDeclaration {
  /** A one-letter alias, without the dash. */
  short?: string;
  /**
   * The value's name in the help (`N`, `ADDR`): the option takes a value.
   * Without it the option is a flag.
   */
  value?: string;
  /**
   * The help line; a `\n` starts a continuation line. Empty for an option
   * shown on the line of the one it is `with`.
   */
  help: string;
  /**
   * The value when the option is absent, as the help shows it: `[3490]`
   * after the help line, or in its place where the line says `[default]`.
   */
  default?: string;
  /** Whether the option may be given more than once (values collected). */
  multiple?: boolean;
  /**
   * Shown on the help line of this option (`-4, -6`: their short letters,
   * their help lines joined by " / ").
   */
  with?: string;
}

/** A tool's options, by long name, in the order its help shows them. */
export type OptionDeclarations = Record<string, OptionDeclaration>;

/** The values of the options of a declaration, by long name. */
export type OptionValues<T extends OptionDeclarations> = {
  [K in keyof T]?: T[K] extends { value: string }
    ? T[K] extends { multiple: true } ? string[] : string
    : boolean;
};

/** `-4` and `-6`, which every tool takes. */
export const FAMILY_OPTIONS = {
  ipv4: { short: "4", help: "IPv4 only", with: "ipv6" },
  ipv6: { short: "6", help: "IPv6 only" },
} as const satisfies OptionDeclarations;

/** `--json` and `--trace`, which every tool takes. */
export const OUTPUT_OPTIONS = {
  json: { help: "one JSON object per event on stdout" },
  trace: {
    help: "each socket call as it happens, on stderr, in the\n" +
      "guide's words (under --json: trace events)",
  },
} as const satisfies OptionDeclarations;

/** `-h` and `-V`, which every tool takes, last in its help. */
export const INFO_OPTIONS = {
  help: { short: "h", help: "show this help" },
  version: { short: "V", help: "show the version" },
} as const satisfies OptionDeclarations;

/**
 * Parse a command line the way getopt does: `--port 80`, `--port=80`,
 * `-p 80`, `-p80`, grouped flags (`-4v`, `-4vp80`), options after
 * positionals, `--` ending the options and `-` as a positional. A
 * value-taking option consumes the next argument whatever it looks like
 * (`-p -1` reaches the port check as `"-1"`).
 *
 * `@std/cli`'s `parseArgs` does the parsing, with the spec derived from
 * the declarations; {@linkcode getoptForms} first rewrites the few forms it
 * reads otherwise than getopt.
 *
 * @throws {UsageError} For an unknown option, a missing value, or a value
 *   given to a flag.
 */
export function parseCommandLine<T extends OptionDeclarations>(
  args: readonly string[],
  options: T,
): { values: OptionValues<T>; positionals: string[] } {
  // The spec in one pass over the declarations, no closure per option: a
  // one-shot tool compiles all of this on every start (bench/STARTUP.md).
  const boolean: string[] = [];
  const string: string[] = [];
  const collect: string[] = [];
  const alias: Record<string, string> = {};
  for (const name in options) {
    const option = options[name]!;
    (option.value === undefined ? boolean : string).push(name);
    if (option.multiple) collect.push(name);
    if (option.short) alias[option.short] = name;
  }
  const positionals: string[] = [];
  const parsed = parseArgs(getoptForms(args, options, alias), {
    boolean,
    string,
    collect,
    alias,
    "--": true,
    // Called for each positional (no key) and each option not declared.
    unknown: (arg, key) => {
      if (key === undefined) return void positionals.push(arg);
      throw new UsageError(
        `Unknown option "${arg.startsWith("--") ? "--" : "-"}${key}"`,
      );
    },
  }) as Record<string, unknown>;
  positionals.push(...parsed["--"] as string[]);
  const values: Record<string, unknown> = {};
  for (const name in options) {
    const value = parsed[name];
    // parseArgs gives every flag `false` and every list `[]` when absent.
    if (
      options[name]!.value === undefined ? value === true : value !== undefined
    ) {
      if (!Array.isArray(value) || value.length > 0) values[name] = value;
    }
  }
  return { values: values as OptionValues<T>, positionals };
}

/**
 * The rewrite in front of `parseArgs`, argument by argument up to `--`,
 * for what it reads otherwise than getopt (it is minimist-style):
 *
 * - a short option's attached value is split off only when it is a number
 *   (`-mHello` would be `-m ""` and letters `H`, `e`, ...; `-v4` gives `v`
 *   the value 4): a group is written as its flags one by one, then the
 *   value-taking letter that ends it with the rest as `--name=value`;
 * - a value in the next argument is not taken when it starts with `-`
 *   (`-p -1`, `--message --`) or is empty: it is attached, `--name=value`;
 * - a missing value becomes `""`, as `-p ""` would: refused here;
 * - a flag given a value is accepted (`-q=1` gives `1`): refused here;
 * - a flag followed by `true` or `false` takes it as its value: the flag
 *   is written `--name=true`, so that the word stays a positional;
 * - `--no-NAME=VALUE` sets NAME: refused here, as not declared.
 *
 * A short letter not declared is refused here, in order; a long option not
 * declared is left to `parseArgs`, whose `unknown` refuses it.
 *
 * @throws {UsageError} For the mistakes above.
 */
export function getoptForms(
  args: readonly string[],
  options: OptionDeclarations,
  byShort: Readonly<Record<string, string>> = shortNames(options),
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const option = Object.hasOwn(options, name) ? options[name] : undefined;
      if (option === undefined) {
        if (eq !== -1 && name.startsWith("no-")) {
          throw new UsageError(`Unknown option "--${name}"`);
        }
        out.push(arg);
      } else if (option.value === undefined) {
        if (eq !== -1) {
          throw new UsageError(`Option "--${name}" takes no value`);
        }
        out.push(isWord(args[i + 1]) ? `--${name}=true` : arg);
      } else if (eq !== -1) {
        out.push(arg);
      } else if (i + 1 < args.length) {
        out.push(...valueForms(arg, name, args[++i]!));
      } else {
        throw new UsageError(`Option "--${name}" needs a value`);
      }
      continue;
    }
    if (!arg.startsWith("-") || arg.length === 1) {
      out.push(arg);
      continue;
    }
    // A group of short options: each flag on its own (`-v4` would give
    // `v` the value 4), then at most one value-taking option.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const name = Object.hasOwn(byShort, letter) ? byShort[letter] : undefined;
      if (name === undefined) {
        throw new UsageError(`Unknown option "-${letter}"`);
      }
      const rest = arg.slice(j + 1);
      if (options[name]!.value === undefined) {
        if (rest.startsWith("=")) {
          throw new UsageError(`Option "-${letter}" takes no value`);
        }
        const last = rest === "" && isWord(args[i + 1]);
        out.push(last ? `--${name}=true` : `-${letter}`);
        continue;
      }
      if (rest !== "") out.push(`--${name}=${rest}`);
      else if (i + 1 < args.length) {
        out.push(...valueForms(`-${letter}`, name, args[++i]!));
      } else throw new UsageError(`Option "-${letter}" needs a value`);
      break;
    }
  }
  return out;
}

/** Each declared short letter, to its option's name. */
function shortNames(options: OptionDeclarations): Record<string, string> {
  const byShort: Record<string, string> = {};
  for (const name in options) {
    const short = options[name]!.short;
    if (short) byShort[short] = name;
  }
  return byShort;
}

/** Whether parseArgs would take `arg` after a flag as the flag's value. */
function isWord(arg: string | undefined): boolean {
  return arg === "true" || arg === "false";
}

/**
 * An option and the value after it, attached when parseArgs would not take
 * it (empty, or starting with "-").
 */
function valueForms(option: string, name: string, next: string): string[] {
  return next === "" || next.startsWith("-")
    ? [`--${name}=${next}`]
    : [option, next];
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
