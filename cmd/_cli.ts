// Private to cmd/: what the four tools share at their edge — where output
// goes, how an error becomes one line and an exit code, and signals.

import {
  BindError,
  describeError,
  isPermissionError,
  ResolveError,
} from "../lib/errors.ts";
import { escapeText } from "../lib/escape.ts";
import {
  type OptionSpec,
  type OptionValues,
  parseArgs,
  type ParsedArgs,
} from "../lib/parse_args.ts";
import { VERSION } from "../lib/constants.ts";

/** Something that takes bytes synchronously, like `Deno.stdout`. */
export interface Sink {
  writeSync(p: Uint8Array): number;
}

/** How a tool's `main()` is wired to the world; tests replace each part. */
export interface MainOptions {
  /** Where normal output goes. @default {Deno.stdout} */
  stdout?: Sink;
  /** Where errors and status go. @default {Deno.stderr} */
  stderr?: Sink;
  /** Where `talker -` reads its message. @default {Deno.stdin.readable} */
  stdin?: ReadableStream<Uint8Array>;
  /** Stops a long-running tool; without it, SIGINT and SIGTERM do. */
  signal?: AbortSignal;
}

/** The options every tool takes. */
export const COMMON_OPTIONS = {
  port: { type: "string", short: "p" },
  ipv4: { type: "boolean", short: "4" },
  ipv6: { type: "boolean", short: "6" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  verbose: { type: "boolean", short: "v" },
  json: { type: "boolean" },
} as const satisfies Record<string, OptionSpec>;

/** A mistake in the command line: one line, exit code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parse a command line; every parse failure becomes a {@linkcode UsageError}. */
export function parseCommandLine<T extends Record<string, OptionSpec>>(
  args: readonly string[],
  spec: T,
): ParsedArgs<T> {
  try {
    return parseArgs(args, spec);
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}

/** Run `parse`, turning its TypeError, RangeError or SyntaxError into a UsageError. */
export function option<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (
      error instanceof TypeError || error instanceof RangeError ||
      error instanceof SyntaxError
    ) throw new UsageError(error.message);
    throw error;
  }
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

const encoder = new TextEncoder();

/** How long a batching {@linkcode Output} gathers lines, in ms. */
const BATCH_MS = 5;

/** A tool's output: status lines, JSON events, raw bytes and error lines. */
export class Output {
  readonly #tool: string;
  readonly #stdout: Sink;
  readonly #stderr: Sink;
  #pending = "";
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #broken = false;
  readonly #batch: boolean;
  readonly #format: ((value: unknown) => string) | undefined;
  /** Whether `--json` asked for JSON events instead of status lines. */
  readonly json: boolean;

  /**
   * @param tool The tool's name, which starts its error lines.
   * @param options Where output goes.
   * @param json The JSON line formatter when `--json` was given (loaded
   *   only then: a one-shot tool's start-up pays for every module).
   * @param batch Gather lines for up to 5 ms before writing them, for tools
   *   that print a line per event under load (server, listener). Without it
   *   lines are written at the end of the current task, which is what a
   *   one-shot tool wants: no timer (the first costs milliseconds).
   */
  constructor(
    tool: string,
    options: MainOptions,
    json?: (value: unknown) => string,
    batch = false,
  ) {
    this.#batch = batch;
    this.#tool = tool;
    this.#stdout = options.stdout ?? Deno.stdout;
    this.#stderr = options.stderr ?? Deno.stderr;
    this.#format = json;
    this.json = json !== undefined;
  }

  /** A status line on stdout (skipped under `--json`); `text` must be safe. */
  line(text: string): void {
    if (!this.json) this.#queue(text + "\n");
  }

  /** A line on stdout whatever the mode (help, version). */
  always(text: string): void {
    this.#queue(text + "\n");
  }

  /** A JSON event on stdout (only under `--json`). */
  event(event: string, fields: Record<string, unknown>): void {
    if (this.#format) this.#queue(this.#format({ event, ...fields }) + "\n");
  }

  /** Bytes to stdout exactly as they are (`--raw`). */
  raw(bytes: Uint8Array): void {
    this.flush();
    this.#write(this.#stdout, bytes);
  }

  /** `TOOL: text` on stderr, escaped so it cannot drive the terminal. */
  status(text: string): void {
    this.flush();
    this.#write(
      this.#stderr,
      encoder.encode(`${this.#tool}: ${escapeText(text)}\n`),
    );
  }

  /** A line on stderr as it is (the reference's bare `getaddrinfo: ...`). */
  bare(text: string): void {
    this.flush();
    this.#write(this.#stderr, encoder.encode(escapeText(text) + "\n"));
  }

  /**
   * Report a failed system call as `perror` does — `context: reason` on
   * stderr, no tool name — and as an `error` event under `--json`.
   */
  perror(context: string, error: unknown): void {
    const reason = describeError(error);
    this.event("error", { context, message: reason });
    this.bare(`${context}: ${reason}`);
  }

  /**
   * Report an error: `TOOL: context: reason` on stderr (or `TOOL: reason`),
   * and an `error` event under `--json`.
   */
  error(context: string | undefined, error: unknown): void {
    const reason = typeof error === "string" ? error : describeError(error);
    this.event("error", { context: context ?? null, message: reason });
    this.status(context ? `${context}: ${reason}` : lowerFirst(reason));
  }

  /** Write what is queued. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    this.#write(this.#stdout, encoder.encode(text));
  }

  #queue(text: string): void {
    this.#pending += text;
    if (this.#pending.length > 65_536) {
      this.flush();
    } else if (this.#batch) {
      this.#timer ??= setTimeout(() => this.flush(), BATCH_MS);
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  #write(sink: Sink, bytes: Uint8Array): void {
    if (this.#broken) return;
    try {
      for (let written = 0; written < bytes.length;) {
        written += sink.writeSync(bytes.subarray(written));
      }
    } catch (error) {
      // A reader that went away (`| head`) is not worth a stack trace.
      if (error instanceof Deno.errors.BrokenPipe) this.#broken = true;
      else throw error;
    }
  }
}

/** The first letter in lower case: sentence-case messages after `tool: `. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** How a tool reports that no socket could be bound (the reference's words). */
export interface BindFailure {
  /** The last line, for example `failed to bind`. */
  message: string;
  /** The exit code. */
  code: number;
}

/**
 * Turn what a tool threw into its lines and exit code, as the reference
 * programs do: a name that does not resolve is `getaddrinfo: REASON`, exit 1;
 * a failed bind lists each address (`TOOL: bind: REASON`) and ends with the
 * tool's own line and code; usage and permission errors, and anything
 * unexpected, are one line, exit 1.
 */
export function reportFailure(
  out: Output,
  error: unknown,
  bindFailure?: BindFailure,
): number {
  if (error instanceof ResolveError) {
    out.perror("getaddrinfo", error);
  } else if (error instanceof BindError && bindFailure) {
    for (const failure of error.failures) out.error("bind", failure.error);
    out.status(bindFailure.message);
    return bindFailure.code;
  } else if (error instanceof UsageError) {
    out.error(undefined, error.message);
  } else if (isPermissionError(error)) {
    out.error("permission denied", describeError(error));
  } else {
    out.error(undefined, error);
  }
  out.flush();
  return 1;
}

/** What {@linkcode beginCommand} found: an exit code, or options to run with. */
export type Begun<T extends Record<string, OptionSpec>> =
  | { exit: number; out: Output }
  | {
    exit?: undefined;
    out: Output;
    values: OptionValues<T>;
    positionals: string[];
  };

/**
 * Parse a tool's command line and deal with what ends it at once: a mistake
 * (one line, exit 1), `--help` and `--version` (stdout, exit 0). Otherwise
 * return the options and the tool's output, batching when `batch` is set.
 */
export async function beginCommand<
  T extends Record<string, OptionSpec> & typeof COMMON_OPTIONS,
>(
  tool: string,
  args: readonly string[],
  spec: T,
  io: MainOptions,
  help: string,
  batch = false,
): Promise<Begun<T>> {
  let parsed: ParsedArgs<T>;
  try {
    parsed = parseCommandLine(args, spec);
  } catch (error) {
    const out = new Output(tool, io);
    return { exit: reportFailure(out, error), out };
  }
  const { values, positionals } = parsed;
  const json = values.json
    ? (await import("../lib/json_line.ts")).jsonLine
    : undefined;
  if (values.help || values.version) {
    const out = new Output(tool, io, json);
    out.always(values.help ? help : versionLine(tool));
    out.flush();
    return { exit: 0, out };
  }
  return {
    out: new Output(tool, io, json, batch),
    values,
    positionals,
  };
}

/** `TOOL VERSION (deno X)`. */
export function versionLine(tool: string): string {
  return `${tool} (beejnet) ${VERSION} (deno ${Deno.version.deno})`;
}

/**
 * An AbortSignal for a long-running tool: the caller's, or one that SIGINT
 * and SIGTERM abort. Dispose of it to remove the signal listeners.
 */
export function stopSignal(
  given: AbortSignal | undefined,
): { signal: AbortSignal; [Symbol.dispose](): void } {
  if (given) return { signal: given, [Symbol.dispose](): void {} };
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, stop);
  return {
    signal: controller.signal,
    [Symbol.dispose](): void {
      for (const name of signals) Deno.removeSignalListener(name, stop);
    },
  };
}
