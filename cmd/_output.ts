// Private to cmd/: where a tool's lines go — stdout (text, or JSON events
// under --json), written at the end of the task, and stderr, escaped. The
// batched and pipelined modes of the long-running tools are
// cmd/_batched_output.ts's, off the one-shot tools' start path.

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

export const encoder: TextEncoder = new TextEncoder();

let decoder: TextDecoder | undefined;

/** A UTF-8 decoder, made on first use (a one-shot tool seldom needs one). */
function utf8Decoder(): TextDecoder {
  return decoder ??= new TextDecoder();
}

/** How a tool's {@linkcode Output} writes. */
export interface OutputOptions {
  /** `--json`: events as JSON lines on stdout instead of text lines. */
  json?: boolean;
}

/**
 * The JSON line formatter under `--json`, loaded only then (a one-shot
 * tool's start-up pays for every module), or `undefined`.
 */
export async function jsonLineFor(
  json: boolean | undefined,
): Promise<((value: unknown) => string) | undefined> {
  return json ? (await import("../lib/text/json_line.ts")).jsonLine : undefined;
}

/**
 * A tool's output. Stdout carries the tool's text lines, or under `--json`
 * its events as JSON lines, written at the end of the current task (no
 * timer: the first costs milliseconds, and slows every later turn of the
 * event loop; bench/README.md); stderr carries status and error lines,
 * escaped so that nothing from the network drives the terminal.
 *
 * A write that fails never throws: a failed stdout is said once on stderr
 * (`TOOL: stdout: no space left on device`; nothing when its reader went
 * away) and aborts {@linkcode Output.failed}, which stops the tool; stderr
 * goes on working. A failed stderr is given up silently.
 */
export class Output {
  readonly #tool: string;
  /** Where stdout's bytes go. */
  protected readonly stdoutSink: Sink;
  readonly #stderr: Sink;
  /** What stdout has queued and not yet written. */
  protected pending = "";
  #scheduled = false;
  #stderrBroken = false;
  readonly #failed = new AbortController();
  readonly #format: ((value: unknown) => string) | undefined;
  /** Whether `--json` asked for JSON events instead of text lines. */
  readonly json: boolean;

  /**
   * @param tool The tool's name, which starts its stderr lines.
   * @param io Where output goes.
   * @param options The JSON line formatter for `--json`
   *   ({@linkcode Output.open} loads it).
   */
  constructor(
    tool: string,
    io: OutputStreams,
    options: { jsonLine?: (value: unknown) => string } = {},
  ) {
    this.#tool = tool;
    this.stdoutSink = io.stdout ?? Deno.stdout;
    this.#stderr = io.stderr ?? Deno.stderr;
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
    return new Output(tool, io, { jsonLine: await jsonLineFor(options.json) });
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
    this.queue(text + "\n");
  }

  /**
   * Lines on stdout that `fill` encodes itself: it writes them as UTF-8,
   * each with its newline and terminal-safe, into `buffer` from `at`, at
   * most `max` bytes, and returns where they end. An output that gathers
   * bytes (a pipelined {@linkcode BatchedOutput}) hands out its own buffer,
   * so a line per datagram costs no string; this one decodes them into
   * its text queue.
   */
  stdoutLines(
    max: number,
    fill: (buffer: Uint8Array, at: number) => number,
  ): void {
    const scratch = new Uint8Array(max);
    this.queue(utf8Decoder().decode(scratch.subarray(0, fill(scratch, 0))));
  }

  /** Bytes on stdout exactly as they are (`client --raw`). */
  stdoutBytes(bytes: Uint8Array): void {
    this.flush();
    if (!this.#failed.signal.aborted) this.writeStdout(bytes);
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
      this.queue(this.#format({ event, ...fields }) + "\n", keep);
    } else if (text !== undefined) this.queue(text + "\n", keep);
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

  /** Write what stdout has queued. */
  flush(): void {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.writeStdout(encoder.encode(text));
  }

  /** Write everything queued, and wait for the writes. */
  close(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  /**
   * Queue `text` for stdout; `keep` is for the modes that may drop lines.
   * Here it goes out at the end of the task (at once past 64 KiB).
   */
  protected queue(text: string, _keep = false): void {
    if (this.#failed.signal.aborted) return;
    this.pending += text;
    if (this.pending.length > 65_536) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Write `bytes` to stdout now; a failure is {@linkcode stdoutFailed}. */
  protected writeStdout(bytes: Uint8Array): void {
    try {
      for (let written = 0; written < bytes.length;) {
        written += this.stdoutSink.writeSync(bytes.subarray(written));
      }
    } catch (error) {
      this.stdoutFailed(error);
    }
  }

  /** Stdout failed: said once (unless its reader went away), then aborted. */
  protected stdoutFailed(error: unknown): void {
    if (this.#failed.signal.aborted) return;
    const failure = new StdoutFailure(
      error,
      `stdout: ${lowerFirst(describeError(error))}`,
    );
    this.pending = "";
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

/** The first letter in lower case: sentence-case messages after `tool: `. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
