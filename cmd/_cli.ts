// Private to cmd/: what the four tools share at their edge — where output
// goes, how a command line becomes a run, how each library error becomes its
// lines and exit code (each tool's table), and signals.

import { VERSION } from "../lib/constants.ts";
import {
  describeError,
  isPermissionError,
  ResolveError,
} from "../lib/errors.ts";
import { escapeText } from "../lib/text/escape.ts";
import type { Trace } from "../lib/trace.ts";
import { UsageError } from "./_options.ts";

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

/** What `--help` or `--version` asked for: text to print, exit 0. */
export interface Info {
  info: string;
}

/**
 * The tool's life: parse (a mistake is one line, exit 1; `--help` and
 * `--version` print and exit 0), then run.
 */
export async function command<C>(
  tool: string,
  args: readonly string[],
  io: MainOptions,
  parse: (args: readonly string[]) => C | Info,
  run: (config: C, io: MainOptions) => Promise<number>,
): Promise<number> {
  let config: C | Info;
  try {
    config = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    new Output(tool, io).stderrBare(usageText(tool, error));
    return 1;
  }
  if (typeof config === "object" && config !== null && "info" in config) {
    const out = new Output(tool, io);
    out.stdout((config as Info).info);
    out.flush();
    return 0;
  }
  return await run(config as C, io);
}

/** The line a UsageError prints (before escaping): `TOOL: mistake`. */
export function usageText(tool: string, error: UsageError): string {
  return error.bare ? error.message : `${tool}: ${lowerFirst(error.message)}`;
}

/** `--help` and `--version` as {@linkcode Info}, or nothing when neither. */
export function infoRequest(
  tool: string,
  values: { help?: boolean; version?: boolean },
  help: string,
): Info | undefined {
  if (values.help) return { info: help };
  if (values.version) {
    return { info: `${tool} (beejnet) ${VERSION} (deno ${Deno.version.deno})` };
  }
}

const encoder = new TextEncoder();

/** How long a batching {@linkcode Output} gathers lines, in ms. */
const BATCH_MS = 5;

/** How a tool's {@linkcode Output} writes. */
export interface OutputOptions {
  /** `--json`: events as JSON lines on stdout instead of text lines. */
  json?: boolean;
  /**
   * Gather stdout lines for up to 5 ms before writing them, for a tool that
   * prints a line per event under load (server). Without it lines are
   * written at the end of the current task, which is what a one-shot tool
   * wants, and the listener too: no timer (the first costs milliseconds,
   * and slows every later turn of the event loop; bench/README.md).
   */
  batch?: boolean;
}

/**
 * A tool's output. Stdout carries the tool's text lines, or under `--json`
 * its events as JSON lines; stderr carries status and error lines, escaped
 * so that nothing from the network drives the terminal.
 */
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
  /** Whether `--json` asked for JSON events instead of text lines. */
  readonly json: boolean;

  /**
   * @param tool The tool's name, which starts its stderr lines.
   * @param io Where output goes.
   * @param options Batching or not, and the JSON line formatter for
   *   `--json` ({@linkcode Output.open} loads it).
   */
  constructor(
    tool: string,
    io: MainOptions,
    options: { batch?: boolean; jsonLine?: (value: unknown) => string } = {},
  ) {
    this.#tool = tool;
    this.#stdout = io.stdout ?? Deno.stdout;
    this.#stderr = io.stderr ?? Deno.stderr;
    this.#batch = options.batch ?? false;
    this.#format = options.jsonLine;
    this.json = options.jsonLine !== undefined;
  }

  /**
   * An output for a run: under `--json` the JSON line module is loaded
   * first (only then: a one-shot tool's start-up pays for every module).
   */
  static async open(
    tool: string,
    io: MainOptions,
    options: OutputOptions = {},
  ): Promise<Output> {
    const jsonLine = options.json
      ? (await import("../lib/text/json_line.ts")).jsonLine
      : undefined;
    return new Output(tool, io, { batch: options.batch, jsonLine });
  }

  /** A line on stdout, whatever the mode; `text` must be terminal-safe. */
  stdout(text: string): void {
    this.#queue(text + "\n");
  }

  /** Bytes on stdout exactly as they are (`client --raw`). */
  stdoutBytes(bytes: Uint8Array): void {
    this.flush();
    this.#write(this.#stdout, bytes);
  }

  /** `TOOL: text` on stderr, escaped. */
  stderr(text: string): void {
    this.flush();
    this.#write(
      this.#stderr,
      encoder.encode(`${this.#tool}: ${escapeText(text)}\n`),
    );
  }

  /** A line on stderr without the tool's name (`usage: ...`), escaped. */
  stderrBare(text: string): void {
    this.flush();
    this.#write(this.#stderr, encoder.encode(escapeText(text) + "\n"));
  }

  /**
   * An event on stdout: under `--json` the object `{ event, ...fields }` as
   * one JSON line, otherwise `text` (terminal-safe; nothing when absent).
   */
  event(event: string, fields: Record<string, unknown>, text?: string): void {
    if (this.#format) this.#queue(this.#format({ event, ...fields }) + "\n");
    else if (text !== undefined) this.#queue(text + "\n");
  }

  /**
   * An error: `TOOL: context: reason` on stderr (`TOOL: reason` without a
   * context), and an `error` event on stdout under `--json`.
   */
  error(context: string | undefined, error: unknown): void {
    const reason = typeof error === "string" ? error : describeError(error);
    this.event("error", { context: context ?? null, message: reason });
    this.stderr(context ? `${context}: ${reason}` : lowerFirst(reason));
  }

  /**
   * A failed system call as `perror` prints it: `context: reason` on stderr
   * without the tool's name, and an `error` event under `--json`.
   */
  perror(context: string, error: unknown): void {
    const reason = describeError(error);
    this.event("error", { context, message: reason });
    this.stderrBare(`${context}: ${reason}`);
  }

  /**
   * The writer of `--trace`: each call as `TOOL: trace: CALL = RESULT` on
   * stderr, or under `--json` as a `trace` event on stdout. The formatter
   * is loaded only now: without `--trace` a tool pays nothing for it.
   */
  async tracer(): Promise<Trace> {
    const { traceFields, traceFormatter } = await import(
      "../lib/text/trace.ts"
    );
    if (this.#format) return (event) => this.event("trace", traceFields(event));
    const format = traceFormatter();
    const prefix = `${this.#tool}: trace: `;
    if (Deno.build.os !== "linux") {
      // The system calls behind each Deno call are Linux's, held against
      // strace there; say so where they are not.
      this.stderr(
        `trace: the system calls shown are Deno's on Linux; on ${Deno.build.os} they differ, and nothing checks them`,
      );
    }
    return (event) => {
      this.flush();
      // The formatter escapes what came from outside: the line is safe.
      this.#write(this.#stderr, encoder.encode(prefix + format(event) + "\n"));
    };
  }

  /** Write what stdout has queued. */
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

/**
 * A system call of the tool's own that failed (`recv`, `recvfrom`): printed
 * as `perror` would, `context: reason`.
 */
export class CallError extends Error {
  /** The call, as the reference names it in its `perror`. */
  readonly call: string;
  /**
   * @param call The call that failed.
   * @param cause What it threw.
   */
  constructor(call: string, cause: unknown) {
    super(`${call}: ${describeError(cause)}`, { cause });
    this.name = "CallError";
    this.call = call;
  }
}

/** `promise`, with a rejection named for the call it stands for. */
export async function during<T>(call: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new CallError(call, error);
  }
}

/** One row of a tool's failure table: which error, its lines, its exit code. */
export interface Failure<E = unknown> {
  /** Whether the row is for this error. */
  is: (error: unknown) => error is E;
  /** The reference's exit code. */
  code: number;
  /** Write its lines. */
  report: (out: Output, error: E) => void;
}

/** A row for a class of error. */
export function failure<E>(
  type: abstract new (...args: never[]) => E,
  code: number,
  report: (out: Output, error: E) => void,
): Failure {
  return {
    is: (error): error is E => error instanceof type,
    code,
    report: report as (out: Output, error: unknown) => void,
  };
}

/** A name that does not resolve: `getaddrinfo: REASON`, exit 1. */
export const RESOLVE_FAILURE: Failure = failure(
  ResolveError,
  1,
  (out, error) => out.perror("getaddrinfo", error),
);

/**
 * The rows every tool shares, after its own: a permission Deno refused is
 * one line naming the flag that grants it, exit 1; a failed call of the
 * tool's own is `call: reason`, exit 1.
 */
export const COMMON_FAILURES: readonly Failure[] = [
  {
    is: (error): error is Error => isPermissionError(error),
    code: 1,
    report: (out, error) =>
      out.error("permission denied", withFlagHint(describeError(error))),
  },
  failure(
    CallError,
    1,
    (out, error) => out.perror(error.call, error.cause),
  ),
];

/** Deno names the flag in its own messages; the library's need it added. */
function withFlagHint(message: string): string {
  if (message.includes("--allow-")) return message;
  const asked = message.match(/Requires (\w+) access to "([^"]*)"/);
  return asked
    ? `${message}, run again with --allow-${asked[1]}=${asked[2]}`
    : message;
}

/**
 * Run a tool's body; when it throws, its failure table says what to print
 * and which exit code to return. Anything no row expects is rethrown, as
 * the bug it is: it is not dressed up as a usage mistake.
 */
export async function withFailures(
  out: Output,
  table: readonly Failure[],
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const row = [...table, ...COMMON_FAILURES].find((r) => r.is(error));
    if (!row) throw error;
    row.report(out, error);
    return row.code;
  } finally {
    out.flush();
  }
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
