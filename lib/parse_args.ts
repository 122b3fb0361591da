/**
 * A small getopt-style command-line parser: long options (`--port 80`,
 * `--port=80`), short options (`-p 80`, `-p80`, `-4v`), repeatable options,
 * `--` and `-` as a positional.
 *
 * It exists instead of `node:util`'s `parseArgs` because importing the first
 * `node:` module costs about 40% of an empty `deno run`, and `client` and
 * `talker` are one-shot tools whose start-up time is their speed.
 *
 * @module
 */

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

/** What {@linkcode parseArgs} returns. */
export interface ParsedArgs<T extends Record<string, OptionSpec>> {
  /** Option values by long name; options not given are absent. */
  values: OptionValues<T>;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/**
 * Parse command-line arguments against a spec.
 *
 * A value-taking option consumes the next argument whatever it looks like,
 * as getopt does, so `-p -1` reaches the port check as `"-1"`.
 *
 * @param args The arguments, for example `Deno.args`.
 * @param spec The options, by long name.
 * @returns The option values and the positionals.
 * @throws {TypeError} For an unknown option, a missing value, or a value
 *   given to a flag; the message names the option.
 *
 * @example Short, long and combined options
 * ```ts
 * import { parseArgs } from "./parse_args.ts";
 * import assert from "node:assert/strict";
 *
 * const { values, positionals } = parseArgs(["-4v", "--port=80", "host"], {
 *   port: { type: "string", short: "p" },
 *   ipv4: { type: "boolean", short: "4" },
 *   verbose: { type: "boolean", short: "v" },
 * });
 * assert.deepEqual(values, { ipv4: true, verbose: true, port: "80" });
 * assert.deepEqual(positionals, ["host"]);
 * ```
 */
export function parseArgs<T extends Record<string, OptionSpec>>(
  args: readonly string[],
  spec: T,
): ParsedArgs<T> {
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, option] of Object.entries(spec)) {
    if (option.short) byShort.set(option.short, name);
  }
  const set = (name: string, value: string | boolean): void => {
    if (spec[name]!.multiple && typeof value === "string") {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      values[name] = value;
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const option = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (!option) throw new TypeError(`Unknown option "--${name}"`);
      if (option.type === "boolean") {
        if (eq !== -1) {
          throw new TypeError(`Option "--${name}" takes no value`);
        }
        set(name, true);
      } else if (eq !== -1) {
        set(name, arg.slice(eq + 1));
      } else if (i + 1 < args.length) {
        set(name, args[++i]!);
      } else {
        throw new TypeError(`Option "--${name}" needs a value`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const name = byShort.get(letter);
        if (name === undefined) {
          throw new TypeError(`Unknown option "-${letter}"`);
        }
        if (spec[name]!.type === "boolean") {
          if (arg[j + 1] === "=") {
            throw new TypeError(`Option "-${letter}" takes no value`);
          }
          set(name, true);
        } else if (j + 1 < arg.length) {
          set(name, arg.slice(j + 1));
          break;
        } else if (i + 1 < args.length) {
          set(name, args[++i]!);
        } else {
          throw new TypeError(`Option "-${letter}" needs a value`);
        }
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values: values as OptionValues<T>, positionals };
}
