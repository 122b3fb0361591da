// Private to cmd/: where a tool's lines go — stdout (text, or JSON events
// under --json) in one of three scheduling modes (at the end of the task,
// batched for 5 ms, or pipelined behind one asynchronous write), and stderr,
// escaped.

import { describeError } from "../lib/errors.ts";
import { escapeText } from "../lib/text/escape.ts";
import type { Trace } from "../lib/trace.ts";
import { type Outcome, READER_GONE, STDOUT_FAILED } from "./_exit_codes.ts";
import { StdoutFailure } from "./_stdout_failure.ts";

/** Something that takes bytes, like `Deno.stdout`. */
export interface Sink {
  /** Write synchronously; the count written. */
  writeSync(p: Uint8Array): number;
  /** Write asynchronously, if the sink can (a pipelined Output uses it). */
  write?(p: Uint8Array): Promise<number>;
  /** Whether it is a terminal (lines then go out at once, in order). */
  isTerminal?(): boolean;
}

/** Where a tool's output goes: {@linkcode Output}'s two streams. */
export interface OutputStreams {
  /** Where normal output goes. @default {Deno.stdout} */
  stdout?: Sink;
  /** Where errors and status go. @default {Deno.stderr} */
  stderr?: Sink;
}

const encoder = new TextEncoder();

/** How long a batching {@linkcode Output} gathers lines, in ms. */
const BATCH_MS = 5;

/**
 * How many bytes a pipelined {@linkcode Output} gathers behind a write in
 * flight before it drops lines: a reader that stopped reading must not
 * fill the memory. What is queued with `keep` (a final report) goes past it.
 */
const BACKLOG_LIMIT = 8 * 1024 * 1024;

/**
 * How many bytes a pipelined {@linkcode Output} gathers before it starts a
 * write: at 50,000 datagrams/s a write in flight is done before the next
 * datagram comes, so the write in flight alone gathers nothing.
 */
const GATHER_BYTES = 16 * 1024;

/** How a tool's {@linkcode Output} writes. */
export interface OutputOptions {
  /** `--json`: events as JSON lines on stdout instead of text lines. */
  json?: boolean;
  /**
   * Gather stdout lines for up to 5 ms before writing them, for a tool that
   * prints a line per event under load (server). Without it (and without
   * `pipeline`) lines are written at the end of the current task, which is
   * what a one-shot tool wants: no timer (the first costs milliseconds, and
   * slows every later turn of the event loop; bench/README.md).
   */
  batch?: boolean;
  /**
   * Gather stdout lines up to 16 KiB, keep one write of them in flight,
   * asynchronously, and gather the lines that come meanwhile behind it
   * (listener): no write(2) on the event loop's thread, no timer per write
   * (one 5 ms interval, armed only while lines wait, writes the tail of a
   * burst). Only where stdout can be
   * written asynchronously and is not a terminal (there lines go out at
   * once, in order with stderr's).
   */
  pipeline?: boolean;
}

/**
 * A tool's output. Stdout carries the tool's text lines, or under `--json`
 * its events as JSON lines; stderr carries status and error lines, escaped
 * so that nothing from the network drives the terminal.
 *
 * A write that fails never throws: a failed stdout is said once on stderr
 * (`TOOL: stdout: no space left on device`; nothing when its reader went
 * away) and aborts {@linkcode Output.failed}, which stops the tool; stderr
 * goes on working. A failed stderr is given up silently.
 */
export class Output {
  readonly #tool: string;
  readonly #stdout: Sink;
  readonly #stderr: Sink;
  #pending = "";
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<void> | undefined;
  #dropped = 0;
  #stderrBroken = false;
  readonly #failed = new AbortController();
  readonly #batch: boolean;
  readonly #pipeline: boolean;
  readonly #format: ((value: unknown) => string) | undefined;
  /** Whether `--json` asked for JSON events instead of text lines. */
  readonly json: boolean;

  /**
   * @param tool The tool's name, which starts its stderr lines.
   * @param io Where output goes.
   * @param options How stdout is batched, and the JSON line formatter for
   *   `--json` ({@linkcode Output.open} loads it).
   */
  constructor(
    tool: string,
    io: OutputStreams,
    options: Omit<OutputOptions, "json"> & {
      jsonLine?: (value: unknown) => string;
    } = {},
  ) {
    this.#tool = tool;
    this.#stdout = io.stdout ?? Deno.stdout;
    this.#stderr = io.stderr ?? Deno.stderr;
    this.#batch = options.batch ?? false;
    this.#pipeline = (options.pipeline ?? false) &&
      this.#stdout.write !== undefined && !this.#stdout.isTerminal?.();
    this.#format = options.jsonLine;
    this.json = options.jsonLine !== undefined;
  }

  /**
   * An output for a run: under `--json` the JSON line module is loaded
   * first (only then: a one-shot tool's start-up pays for every module).
   */
  static async open(
    tool: string,
    io: OutputStreams,
    options: OutputOptions = {},
  ): Promise<Output> {
    const jsonLine = options.json
      ? (await import("../lib/text/json_line.ts")).jsonLine
      : undefined;
    return new Output(tool, io, { ...options, jsonLine });
  }

  /**
   * Aborted when stdout cannot be written (its reason a
   * {@linkcode StdoutFailure}): a tool stops on it.
   */
  get failed(): AbortSignal {
    return this.#failed.signal;
  }

  /**
   * What a failed stdout makes of the run, for the tool's exit codes —
   * {@linkcode READER_GONE} when its reader went away, otherwise
   * {@linkcode STDOUT_FAILED} — or `undefined` while stdout is fine.
   */
  get stdoutOutcome(): Outcome | undefined {
    const reason = this.#failed.signal.reason;
    if (!(reason instanceof StdoutFailure)) return undefined;
    return reason.readerGone ? READER_GONE : STDOUT_FAILED;
  }

  /** A line on stdout, whatever the mode; `text` must be terminal-safe. */
  stdout(text: string): void {
    this.#queue(text + "\n");
  }

  /** Bytes on stdout exactly as they are (`client --raw`). */
  stdoutBytes(bytes: Uint8Array): void {
    this.flush();
    if (!this.#failed.signal.aborted) this.#writeStdout(bytes);
  }

  /** `TOOL: text` on stderr, escaped. */
  stderr(text: string): void {
    this.flush();
    this.#writeStderr(`${this.#tool}: ${escapeText(text)}\n`);
  }

  /** A line on stderr without the tool's name (`usage: ...`), escaped. */
  stderrBare(text: string): void {
    this.flush();
    this.#writeStderr(escapeText(text) + "\n");
  }

  /**
   * An event on stdout: under `--json` the object `{ event, ...fields }` as
   * one JSON line, otherwise `text` (terminal-safe; nothing when absent).
   * With `keep` (listener's final `--stats` report) it is never dropped: behind a
   * stalled reader it waits after what is queued, past the backlog limit,
   * and {@linkcode Output.close} waits for it to be written.
   */
  event(
    event: string,
    fields: Record<string, unknown>,
    text?: string,
    options?: { keep?: boolean },
  ): void {
    const keep = options?.keep ?? false;
    if (this.#format) {
      this.#queue(this.#format({ event, ...fields }) + "\n", keep);
    } else if (text !== undefined) this.#queue(text + "\n", keep);
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
      this.#writeStderr(prefix + format(event) + "\n");
    };
  }

  /**
   * Write what stdout has queued. A pipelined output only starts the write
   * if none is in flight; {@linkcode Output.close} waits for the last.
   */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending === "" || this.#inFlight) return;
    const text = this.#pending;
    this.#pending = "";
    if (this.#pipeline) this.#inFlight = this.#writeBehind(text);
    else this.#writeStdout(encoder.encode(text));
  }

  /**
   * Write everything queued and wait for the writes, the last one included
   * (behind a stalled reader, as long as it stalls; a reader that went away
   * ends it at once).
   */
  async close(): Promise<void> {
    for (;;) {
      this.flush();
      const writing = this.#inFlight;
      if (writing === undefined) break;
      await writing;
    }
    this.#disarm();
  }

  #queue(text: string, keep = false): void {
    if (this.#failed.signal.aborted) return;
    if (this.#inFlight) {
      if (keep || this.#pending.length + text.length <= BACKLOG_LIMIT) {
        this.#pending += text;
      } else {
        this.#dropped += lineCount(text);
      }
      return;
    }
    this.#pending += text;
    if (this.#pipeline) {
      if (this.#pending.length >= GATHER_BYTES) this.flush();
      else this.#arm();
    } else if (this.#pending.length > 65_536) {
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

  /**
   * The one timer of a pipelined output, armed while lines wait: every
   * 5 ms it writes what gathered (a line reaches stdout at most ~5 ms after
   * a burst ends), and a tick that finds nothing waiting disarms it. One
   * long-lived interval, not a timer per write or per batch.
   */
  #arm(): void {
    if (this.#idle !== undefined || this.#scheduled) return;
    // Armed at the end of the task, only if lines still wait then: a tool
    // that flushes its one line at once (`listener --quiet`'s "waiting")
    // never touches the timer API, whose first use slows every later turn.
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#pending !== "" && !this.#failed.signal.aborted) {
        this.#startInterval();
      }
    });
  }

  #startInterval(): void {
    this.#idle ??= setInterval(() => {
      if (this.#pending === "" && !this.#inFlight) this.#disarm();
      else this.flush();
    }, BATCH_MS);
  }

  #disarm(): void {
    if (this.#idle === undefined) return;
    clearInterval(this.#idle);
    this.#idle = undefined;
  }

  /** One asynchronous write, then the next batch gathered meanwhile. */
  async #writeBehind(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    try {
      for (let written = 0; written < bytes.length;) {
        written += await this.#stdout.write!(bytes.subarray(written));
      }
    } catch (error) {
      this.#inFlight = undefined;
      this.#stdoutFailed(error);
      return;
    }
    this.#inFlight = undefined;
    if (this.#dropped > 0) {
      this.stderr(
        `stdout: ${this.#dropped} lines dropped: its reader did not keep up`,
      );
      this.#dropped = 0;
    }
    // A full batch goes at once; a smaller one waits for more, or the tick.
    if (this.#pending.length >= GATHER_BYTES) this.flush();
    else if (this.#pending !== "") this.#arm();
  }

  #writeStdout(bytes: Uint8Array): void {
    try {
      for (let written = 0; written < bytes.length;) {
        written += this.#stdout.writeSync(bytes.subarray(written));
      }
    } catch (error) {
      this.#stdoutFailed(error);
    }
  }

  #stdoutFailed(error: unknown): void {
    if (this.#failed.signal.aborted) return;
    const failure = new StdoutFailure(
      error,
      `stdout: ${lowerFirst(describeError(error))}`,
    );
    this.#pending = "";
    this.#disarm();
    if (!failure.readerGone) this.stderr(failure.message);
    this.#failed.abort(failure);
  }

  #writeStderr(text: string): void {
    if (this.#stderrBroken) return;
    const bytes = encoder.encode(text);
    try {
      for (let written = 0; written < bytes.length;) {
        written += this.#stderr.writeSync(bytes.subarray(written));
      }
    } catch {
      // Nowhere left to say it: stderr is given up, stdout goes on.
      this.#stderrBroken = true;
    }
  }
}

/** How many lines `text` holds: its newlines (each queued text ends in one). */
function lineCount(text: string): number {
  let lines = 0;
  for (
    let at = text.indexOf("\n");
    at !== -1;
    at = text.indexOf("\n", at + 1)
  ) {
    lines++;
  }
  return lines;
}

/** The first letter in lower case: sentence-case messages after `tool: `. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
