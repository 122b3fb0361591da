// Private to cmd/: the long-running tools' Output modes — stdout batched
// for 5 ms (server) or pipelined behind one asynchronous write (listener).
// In a module of its own: the one-shot tools (client, talker) never load it.

import { encoder, jsonLineFor, Output, type OutputStreams } from "./_output.ts";

/** How long a batching {@linkcode BatchedOutput} gathers lines, in ms. */
const BATCH_MS = 5;

/**
 * How many bytes a pipelined {@linkcode BatchedOutput} gathers behind a
 * write in flight before it drops lines: a reader that stopped reading must
 * not fill the memory. What is queued with `keep` (a final report) goes past
 * it.
 */
const BACKLOG_LIMIT = 8 * 1024 * 1024;

/**
 * How many bytes a pipelined {@linkcode BatchedOutput} gathers before it
 * starts a write: at 50,000 datagrams/s a write in flight is done before the
 * next datagram comes, so the write in flight alone gathers nothing.
 */
const GATHER_BYTES = 16 * 1024;

/** The gathering buffer a pipelined {@linkcode BatchedOutput} starts with. */
const GATHER_START = 64 * 1024;

/** A gathering buffer grown past this is not kept for reuse. */
const GATHER_LIMIT = 4 * GATHER_START;

/** How a {@linkcode BatchedOutput} writes. */
export interface BatchedOutputOptions {
  /** `--json`: events as JSON lines on stdout instead of text lines. */
  json?: boolean;
  /**
   * Gather stdout lines for up to 5 ms before writing them, for a tool that
   * prints a line per event under load (server). Without it (and without
   * `pipeline`) lines are written at the end of the current task, as
   * {@linkcode Output} writes them.
   */
  batch?: boolean;
  /**
   * Gather stdout lines up to 16 KiB, keep one write of them in flight,
   * asynchronously, and gather the lines that come meanwhile behind it
   * (listener): no write(2) on the event loop's thread, no timer per write
   * (one 5 ms interval, armed only while lines wait, writes the tail of a
   * burst). Only where stdout can be written asynchronously and is not a
   * terminal (there lines go out at once, in order with stderr's).
   */
  pipeline?: boolean;
}

/** A long-running tool's {@linkcode Output}: batched or pipelined stdout. */
export class BatchedOutput extends Output {
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<void> | undefined;
  #dropped = 0;
  /**
   * A pipelined output's lines, gathered as UTF-8 (its `pending` text stays
   * empty): the bytes to write next are `#gather[0, #used)`. The write in
   * flight has the other buffer, `#spare`; they swap at each write.
   */
  #gather: Uint8Array | undefined;
  #spare: Uint8Array | undefined;
  #used = 0;
  readonly #batch: boolean;
  readonly #pipeline: boolean;

  /**
   * @param tool The tool's name, which starts its stderr lines.
   * @param io Where output goes.
   * @param options How stdout is batched, and the JSON line formatter for
   *   `--json` ({@linkcode BatchedOutput.open} loads it).
   */
  constructor(
    tool: string,
    io: OutputStreams,
    options: Omit<BatchedOutputOptions, "json"> & {
      jsonLine?: (value: unknown) => string;
    } = {},
  ) {
    super(tool, io, { jsonLine: options.jsonLine });
    this.#batch = options.batch ?? false;
    this.#pipeline = (options.pipeline ?? false) &&
      this.stdoutSink.write !== undefined && !this.stdoutSink.isTerminal?.();
  }

  /**
   * An output for a run: under `--json` the JSON line module is loaded
   * first.
   */
  static override async open(
    tool: string,
    io: OutputStreams,
    options: BatchedOutputOptions = {},
  ): Promise<BatchedOutput> {
    const jsonLine = await jsonLineFor(options.json);
    return new BatchedOutput(tool, io, { ...options, jsonLine });
  }

  /**
   * Write what stdout has queued. A pipelined output only starts the write
   * if none is in flight; {@linkcode BatchedOutput.close} waits for the
   * last.
   */
  override flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pipeline) {
      if (this.#used === 0 || this.#inFlight) return;
      // The buffer written goes spare once its write is done: the next
      // write starts only then. One grown behind a stalled reader is let go.
      const full = this.#gather!;
      this.#gather = this.#spare ?? new Uint8Array(GATHER_START);
      this.#spare = full.length > GATHER_LIMIT ? undefined : full;
      const bytes = full.subarray(0, this.#used);
      this.#used = 0;
      this.#inFlight = this.#writeBehind(bytes);
      return;
    }
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.writeStdout(encoder.encode(text));
  }

  /**
   * Write everything queued and wait for the writes, the last one included
   * (behind a stalled reader, as long as it stalls; a reader that went away
   * ends it at once).
   */
  override async close(): Promise<void> {
    for (;;) {
      this.flush();
      const writing = this.#inFlight;
      if (writing === undefined) break;
      await writing;
    }
    this.#disarm();
  }

  protected override queue(text: string, keep = false): void {
    if (this.#pipeline) {
      // At most 3 UTF-8 bytes per UTF-16 code unit.
      return this.stdoutLines(
        text.length * 3,
        (buffer, at) =>
          at + encoder.encodeInto(text, buffer.subarray(at)).written,
        keep,
      );
    }
    if (!this.#batch) return super.queue(text, keep);
    if (this.failed.aborted) return;
    this.pending += text;
    if (this.pending.length > 65_536) {
      this.flush();
    } else {
      this.#timer ??= setTimeout(() => this.flush(), BATCH_MS);
    }
  }

  /**
   * A pipelined output has `fill` encode the lines straight into its
   * gathering buffer (`keep`: past the backlog, as a final report); the
   * others queue them as text.
   */
  override stdoutLines(
    max: number,
    fill: (buffer: Uint8Array, at: number) => number,
    keep = false,
  ): void {
    if (!this.#pipeline) return super.stdoutLines(max, fill);
    if (this.failed.aborted) return;
    const buffer = this.#room(max);
    const end = fill(buffer, this.#used);
    if (this.#inFlight) {
      if (!keep && end > BACKLOG_LIMIT) {
        this.#dropped += newlines(buffer, this.#used, end);
      } else {
        this.#used = end;
      }
      return;
    }
    this.#used = end;
    if (this.#used >= GATHER_BYTES) this.flush();
    else this.#arm();
  }

  /** The gathering buffer, grown to hold `max` bytes more. */
  #room(max: number): Uint8Array {
    const gather = this.#gather ??= new Uint8Array(GATHER_START);
    const need = this.#used + max;
    if (need <= gather.length) return gather;
    let size = gather.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(gather.subarray(0, this.#used));
    return this.#gather = grown;
  }

  /** Whether lines wait to be written. */
  #waiting(): boolean {
    return this.pending !== "" || this.#used > 0;
  }

  /**
   * Arm the tick of a pipelined output now, before lines come (a tool that
   * prints a line per datagram calls it before its ready line). The first
   * use of the timer API loads Deno's timers, ≈ 15 ms here: paid at the
   * first datagram, it stopped the receive loop for longer than the socket's
   * slack (256 datagrams, 11 ms at 23,400/s), and a fresh `listener -k`
   * writing to a file lost 350–1,900 of its first 4,680 datagrams; paid
   * before, 0 of 70,000 in each of 4 runs (by hand). The tick finds nothing
   * waiting and disarms itself. Nothing for an output that is not pipelined
   * (it has no timer); a tool that prints nothing per datagram does not call
   * it (`listener --quiet` never touches the timer API, whose first use
   * slows every later turn of the event loop).
   */
  prepare(): void {
    if (this.#pipeline && !this.failed.aborted) this.#startInterval();
  }

  protected override stdoutFailed(error: unknown): void {
    if (this.failed.aborted) return;
    this.#disarm();
    this.#used = 0;
    super.stdoutFailed(error);
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
      if (this.#waiting() && !this.failed.aborted) {
        this.#startInterval();
      }
    });
  }

  #startInterval(): void {
    this.#idle ??= setInterval(() => {
      if (!this.#waiting() && !this.#inFlight) this.#disarm();
      else this.flush();
    }, BATCH_MS);
  }

  #disarm(): void {
    if (this.#idle === undefined) return;
    clearInterval(this.#idle);
    this.#idle = undefined;
  }

  /** One asynchronous write, then the next batch gathered meanwhile. */
  async #writeBehind(bytes: Uint8Array): Promise<void> {
    try {
      for (let written = 0; written < bytes.length;) {
        written += await this.stdoutSink.write!(bytes.subarray(written));
      }
    } catch (error) {
      this.#inFlight = undefined;
      this.stdoutFailed(error);
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
    if (this.#used >= GATHER_BYTES) this.flush();
    else if (this.#used > 0) this.#arm();
  }
}

/** How many lines `bytes[from, to)` holds: its newlines. */
function newlines(bytes: Uint8Array, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) if (bytes[i] === 0x0a) lines++;
  return lines;
}
