// Helpers shared by the tests: capture a tool's output in process, spawn a
// tool as a process, wait for a line with a deadline, and say why a test
// that needs more permissions than it has is ignored.

import {
  assertMatch,
  assertNotMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { deadline as stdDeadline } from "@std/async/deadline";
import { concat } from "@std/bytes/concat";
import { getAvailablePort } from "@std/net/get-available-port";
import config from "../deno.json" with { type: "json" };
import { type MainOptions, usageText } from "../cmd/_command.ts";
import type { Sink } from "../cmd/_output.ts";
import { UsageError } from "../cmd/_options.ts";
import { escapeText } from "../lib/text/escape.ts";
import { BUNDLED, type Bundled, bundlePath } from "../scripts/bundle.ts";

/** The version every tool reports, from `deno.json`. */
export const VERSION: string = config.version;

/** How long any one wait for the network or a process may take. */
export const DEADLINE_MS = 10_000;

/** Whether this run may spawn processes (`deno task test` grants it). */
export const CAN_SPAWN = (["run", "read", "env"] as const).every((name) =>
  Deno.permissions.querySync({ name }).state === "granted"
);

const said = new Set<string>();
/**
 * Ignore unless `condition`; say why once, on stderr, so a run shows what it
 * did not test.
 */
export function ignoreUnless(condition: boolean, reason: string): boolean {
  if (!condition && !said.has(reason)) {
    said.add(reason);
    // deno-lint-ignore no-console
    console.error(`ignored: ${reason}`);
  }
  return !condition;
}

/** Ignore tests that spawn processes when `--allow-run` and friends are missing. */
export const NEEDS_SPAWN = (): boolean =>
  ignoreUnless(
    CAN_SPAWN,
    "tests that spawn the tools need --allow-run --allow-read --allow-env (deno task test grants them)",
  );

/** Whether `::1` can be bound here. */
export const HAS_IPV6: boolean = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

/** Ignore IPv6 tests where `::1` is missing. */
export const NEEDS_IPV6 = (): boolean =>
  ignoreUnless(HAS_IPV6, "IPv6 tests need ::1, which this machine lacks");

/**
 * Reject with a clear message naming `what` when `promise` takes longer than
 * `ms`; a rejection of `promise` itself passes through unchanged.
 */
export async function deadline<T>(
  promise: Promise<T>,
  what: string,
  ms = DEADLINE_MS,
): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  try {
    return await stdDeadline(watched, ms);
  } catch (error) {
    if (settled) throw error;
    throw new Error(`Timed out after ${ms} ms waiting for ${what}`, {
      cause: error,
    });
  }
}

/** How often {@linkcode waitUntil} looks again, in milliseconds. */
const POLL_INTERVAL_MS = 10;

/**
 * Wait until `condition` holds, looking again every 10 ms; reject naming
 * `what` once `ms` have passed without it. The one polling helper: for a
 * state no event announces (a count in output, a kernel queue in `/proc`,
 * a file another process writes). Where an event exists, wait for that
 * instead ({@linkcode Capture.waitFor}, {@linkcode Calls.wait}).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms: number = DEADLINE_MS,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > end) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** A sink that keeps what is written, as text, and lets a test wait for a line. */
export class Capture implements Sink {
  #text = "";
  #waiters: (() => void)[] = [];
  readonly bytes: Uint8Array[] = [];

  writeSync(p: Uint8Array): number {
    this.bytes.push(p.slice());
    this.#text += new TextDecoder().decode(p);
    for (const wake of this.#waiters.splice(0)) wake();
    return p.length;
  }

  /** Everything written, as text. */
  get text(): string {
    return this.#text;
  }

  /** The complete lines written so far. */
  get lines(): string[] {
    return this.#text.split("\n").slice(0, -1);
  }

  /** Wait for a line matching `pattern`; resolve to its match. */
  async waitFor(
    pattern: RegExp,
    what = `${pattern}`,
  ): Promise<RegExpMatchArray> {
    const find = (): RegExpMatchArray | undefined => {
      for (const line of this.lines) {
        const match = line.match(pattern);
        if (match) return match;
      }
    };
    return await deadline(
      (async () => {
        while (true) {
          const match = find();
          if (match) return match;
          await new Promise<void>((wake) => this.#waiters.push(wake));
        }
      })(),
      what,
    );
  }
}

/** The output of a tool run in process. */
export interface InProcess {
  stdout: Capture;
  stderr: Capture;
  /** Stops the tool as SIGINT would. */
  controller: AbortController;
  /** The exit code `main()` returns. */
  code: Promise<number>;
  /** The options given to `main()`. */
  io: MainOptions;
}

/** Run a tool's `main()` in this process with captured output. */
export function runInProcess(
  main: (args: string[], io: MainOptions) => Promise<number>,
  args: string[],
  extra: Partial<MainOptions> = {},
): InProcess {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  const io: MainOptions = {
    stdout,
    stderr,
    signal: controller.signal,
    ...extra,
  };
  return { stdout, stderr, controller, code: main(args, io), io };
}

/** The port a tool printed as `TOOL: listening on ADDR:PORT`. */
export async function listeningPort(stderr: Capture): Promise<number> {
  const match = await stderr.waitFor(
    /listening on .*:(\d+)$/,
    "the listening line",
  );
  return Number(match[1]);
}

/**
 * Whether the tools run from `bundle/` (scripts/bundle.ts) where they have
 * one: `BEEJNET_BUNDLE=1`, which tests/bundle_test.ts sets to run the tests
 * of the spawned tools against the bundles.
 */
export const FROM_BUNDLE: boolean =
  Deno.permissions.querySync({ name: "env", variable: "BEEJNET_BUNDLE" })
      .state === "granted" && Deno.env.get("BEEJNET_BUNDLE") === "1";

/** The entry file of a tool: its source, or its bundle under {@linkcode FROM_BUNDLE}. */
export function entry(tool: string): string {
  const bundled = FROM_BUNDLE && (BUNDLED as readonly string[]).includes(tool);
  return new URL(
    `../${bundled ? bundlePath(tool as Bundled) : `cmd/${tool}.ts`}`,
    import.meta.url,
  ).pathname;
}

/** The argument vector that runs a tool from its source, for `Deno.Command` or wrappers like bash. */
export function toolCommand(
  tool: string,
  permissions: string[] = ["--allow-net"],
  options: { flags?: string[] } = {},
): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    ...(options.flags ?? ["--unstable-net"]),
    ...permissions,
    entry(tool),
  ];
}

/** How {@linkcode TestProcess.tool} runs a tool. */
export interface ToolCommandOptions {
  /** Permission flags. @default {["--allow-net"]} */
  permissions?: string[];
  /** Deno's other flags. @default {["--unstable-net"]} */
  flags?: string[];
}

/** Options for {@linkcode TestProcess}. */
export interface TestProcessOptions {
  /**
   * Stdin: bytes written in the background, then closed; `"closed"` (the
   * shell's `<&-`); a file or directory opened as stdin. None without.
   */
  stdin?: Uint8Array | "closed" | { path: string };
  /** A file stdout goes to instead of a pipe (`/dev/full`). */
  stdout?: { path: string };
  /** Environment variables besides `NO_COLOR=1`. */
  env?: Record<string, string>;
  /** The working directory. */
  cwd?: string;
  /**
   * Run it in a session of its own (`setsid`): disposing of it then ends
   * every process it started, those it left behind included.
   */
  session?: boolean;
}

/**
 * Any program run as a process (one of our tools, or a peer such as nc), its
 * output captured line by line as it comes.
 */
export class TestProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Stdout as read so far (nothing when it goes to a file). */
  readonly stdout: Capture = new Capture();
  readonly stderr: Capture = new Capture();
  readonly #pumps: Promise<void>[];
  readonly #feeding: Promise<void>;
  readonly #name: string;
  readonly #stdoutReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #session: boolean;
  #exited = false;
  #held: PromiseWithResolvers<void> | undefined;

  /**
   * Start `program` with `args`. `stdin` bytes are written in the background
   * (a peer may read them only once a client connects) and then closed.
   */
  constructor(
    program: string,
    args: string[],
    options: TestProcessOptions = {},
  ) {
    this.#name = `${program} ${args.join(" ")}`.slice(0, 200);
    // A shell sets up what Deno.Command cannot (stdout to a file, stdin
    // closed or a file), then `exec`s the program in its own place.
    let script = 'exec "$@"';
    const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
    if (options.stdout) {
      script += ' >"$TEST_STDOUT"';
      env.TEST_STDOUT = options.stdout.path;
    }
    const stdin = options.stdin;
    if (stdin === "closed") script += " <&-";
    else if (stdin !== undefined && !(stdin instanceof Uint8Array)) {
      script += ' <"$TEST_STDIN"';
      env.TEST_STDIN = stdin.path;
    }
    let argv = [program, ...args];
    if (script !== 'exec "$@"') argv = ["sh", "-c", script, "sh", ...argv];
    this.#session = options.session ?? false;
    if (this.#session) argv = ["setsid", ...argv];
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: options.cwd,
      stdin: stdin instanceof Uint8Array ? "piped" : "null",
      stdout: options.stdout ? "null" : "piped",
      stderr: "piped",
      env,
    }).spawn();
    this.child = child;
    child.status.then(() => this.#exited = true);
    this.#pumps = [pump(child.stderr.getReader(), this.stderr)];
    if (!options.stdout) {
      this.#stdoutReader = child.stdout.getReader();
      this.#pumps.push(
        pump(this.#stdoutReader, this.stdout, () => this.#held?.promise),
      );
    }
    const data = stdin instanceof Uint8Array ? stdin : undefined;
    this.#feeding = data
      ? (async () => {
        const writer = child.stdin.getWriter();
        try {
          await writer.write(data);
          await writer.close();
        } catch { /* the process exited or was killed before reading it all */ }
      })()
      : Promise.resolve();
  }

  /** Start one of our tools from its source, with `--allow-net` unless `permissions` says otherwise. */
  static tool(
    tool: string,
    args: string[],
    options: TestProcessOptions & ToolCommandOptions = {},
  ): TestProcess {
    const [program, ...command] = toolCommand(tool, options.permissions, {
      flags: options.flags,
    });
    return new TestProcess(program!, [...command, ...args], options);
  }

  /** Run one of our tools to its end; its status and output. */
  static async run(
    tool: string,
    args: string[],
    options: TestProcessOptions & ToolCommandOptions = {},
  ): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
    await using proc = TestProcess.tool(tool, args, options);
    const status = await proc.status(`${tool} ${args.join(" ")}`);
    return { status, stdout: proc.stdout.text, stderr: proc.stderr.text };
  }

  /** Everything written to stdout, as bytes. */
  get output(): Uint8Array {
    return concat(this.stdout.bytes);
  }

  /** Wait for the process to exit and its output to be read; its exit code. */
  async exit(
    what = `${this.#name} to exit`,
    ms = DEADLINE_MS,
  ): Promise<number> {
    return (await this.status(what, ms)).code;
  }

  /**
   * Wait for the process to exit and its output to end (every process
   * holding it exited); its status, with the signal that killed it, if one
   * did.
   */
  async status(
    what = `${this.#name} to exit`,
    ms = DEADLINE_MS,
  ): Promise<Deno.CommandStatus> {
    const status = await deadline(this.child.status, what, ms);
    await deadline(
      Promise.all([...this.#pumps, this.#feeding]),
      `the end of the output of ${this.#name}`,
    );
    return status;
  }

  /**
   * Stop reading its stdout, as a reader that stalls does: once the pipe is
   * full, its writes to stdout wait. {@linkcode TestProcess.resumeStdout}
   * reads on.
   */
  holdStdout(): void {
    this.#held ??= Promise.withResolvers<void>();
  }

  /** Read its stdout again after {@linkcode TestProcess.holdStdout}. */
  resumeStdout(): void {
    this.#held?.resolve();
    this.#held = undefined;
  }

  /**
   * Close the reading end of its stdout, as `head` does once it has its
   * lines: the next write to stdout fails with EPIPE.
   */
  async closeStdout(): Promise<void> {
    await this.#stdoutReader?.cancel();
  }

  /** Send a signal, if the process is still there. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#session) {
      try {
        Deno.kill(-this.child.pid, "SIGKILL"); // the whole session's group
      } catch { /* every process of it is gone */ }
    } else this.kill("SIGKILL");
    this.resumeStdout();
    await this.child.status;
    await Promise.all([...this.#pumps, this.#feeding]);
  }
}

async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  sink: Capture,
  held: () => Promise<void> | undefined = () => undefined,
): Promise<void> {
  try {
    while (true) {
      await held();
      const { done, value } = await reader.read();
      if (done) return;
      sink.writeSync(value);
    }
  } catch { /* cancelled: closeStdout() */ }
}

/** Run a tool to completion; its exit code and output. */
export async function runTool(
  tool: string,
  args: string[],
  options: { stdin?: Uint8Array; permissions?: string[] } = {},
): Promise<
  { code: number; stdout: string; stderr: string; bytes: Uint8Array }
> {
  const [program, ...command] = toolCommand(tool, options.permissions);
  const child = new Deno.Command(program!, {
    args: [...command, ...args],
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const output = await deadline(child.output(), `${tool} ${args.join(" ")}`);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    bytes: output.stdout,
  };
}

/** A UDP socket on 127.0.0.1 for a test to send from or receive on. */
export function udpSocket(hostname = "127.0.0.1"): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
}

/** A stdout whose asynchronous writes finish when the test says. */
export class SlowSink {
  readonly writes: string[] = [];
  readonly #pending: PromiseWithResolvers<number>[] = [];
  fail: Error | undefined;
  writeSync(p: Uint8Array): number {
    this.writes.push(new TextDecoder().decode(p));
    return p.length;
  }
  write(p: Uint8Array): Promise<number> {
    if (this.fail) return Promise.reject(this.fail);
    this.writes.push(new TextDecoder().decode(p));
    const done = Promise.withResolvers<number>();
    this.#pending.push(done);
    return done.promise.then(() => p.length);
  }
  isTerminal(): boolean {
    return false;
  }
  /** Finish the oldest write in flight. */
  finish(): void {
    this.#pending.shift()?.resolve(0);
  }
  get inFlight(): number {
    return this.#pending.length;
  }
}

/** A datagram socket that `using` closes. */
export function closing(
  socket: Deno.DatagramConn,
): Deno.DatagramConn & Disposable {
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** Encode text. */
export const bytes = (text: string): Uint8Array =>
  new TextEncoder().encode(text);

/** Fail when a tool's output shows an uncaught error or a stack trace. */
export function assertNoStack(text: string, what = "output"): void {
  assertNotMatch(text, /Uncaught/, `${what} has "Uncaught": ${text}`);
  assertNotMatch(text, /^\s+at \S/m, `${what} has a stack frame: ${text}`);
  assertNotMatch(text, /^error: /m, `${what} has a Deno error: ${text}`);
}

/**
 * A tool run refused its input as the reference would: exit 1, nothing on
 * stdout, exactly one line on stderr matching `expected`, no stack trace.
 */
export function assertOneLineFailure(
  result: { code: number; stdout: string; stderr: string },
  expected: RegExp,
  what: string,
): void {
  assertStrictEquals(result.code, 1, what);
  assertStrictEquals(result.stdout, "", what);
  assertNoStack(result.stderr, what);
  const lines = result.stderr.split("\n").slice(0, -1);
  assertStrictEquals(lines.length, 1, `${what}: ${result.stderr}`);
  assertMatch(lines[0]!, expected, what);
}

/** Records calls of a callback and lets a test wait for the nth. */
export class Calls<T> {
  readonly items: T[] = [];
  #waiters: (() => void)[] = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  /** Wait until at least `count` calls were made. */
  async wait(count: number, what: string): Promise<T[]> {
    await deadline(
      (async () => {
        while (this.items.length < count) {
          await new Promise<void>((wake) => this.#waiters.push(wake));
        }
      })(),
      what,
    );
    return this.items;
  }
}

/**
 * A TCP port that was free on all addresses a moment ago, for a peer that
 * cannot take port 0 or a test of a port nobody listens on.
 */
export function freeTcpPort(): number {
  return getAvailablePort();
}

/**
 * A UDP port that was free on `hostname` a moment ago. `getAvailablePort()`
 * asks only TCP, and a free TCP port says nothing about UDP.
 */
export function freeUdpPort(hostname = "127.0.0.1"): number {
  const socket = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
  try {
    return (socket.addr as Deno.NetAddr).port;
  } finally {
    socket.close();
  }
}

/** What a client read before the end of the stream, or a reset it was told to expect. */
export interface ReadResult {
  data: Uint8Array;
  /** The reset or broken pipe that stopped the read early, with `resetEnds`. */
  error?: unknown;
}

/** Options for {@linkcode readToEnd}. */
export interface ReadToEndOptions {
  /** How long each read may wait. */
  ms?: number;
  /**
   * Treat a reset or broken pipe as the end, returning what came before it
   * and the error; without, it rejects.
   */
  resetEnds?: boolean;
}

/** Read `conn` until end of stream, then close it. */
export async function readToEnd(
  conn: Deno.Conn,
  options: ReadToEndOptions = {},
): Promise<ReadResult> {
  const { ms = DEADLINE_MS, resetEnds = false } = options;
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65_536);
  try {
    while (true) {
      const n = await deadline(conn.read(buffer), "data or end of stream", ms);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return { data: concat(chunks) };
  } catch (error) {
    if (
      resetEnds && (error instanceof Deno.errors.ConnectionReset ||
        error instanceof Deno.errors.BrokenPipe)
    ) return { data: concat(chunks), error };
    throw error;
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/** What node's `{ name, message }` validator checked; `name` defaults to the class's. */
export interface ExpectedError {
  name?: string;
  message?: string;
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

function assertNamed(
  error: Error,
  ErrorClass: ErrorClass<Error>,
  expected: ExpectedError,
): void {
  assertStrictEquals(error.name, expected.name ?? ErrorClass.name);
  if (expected.message !== undefined) {
    assertStrictEquals(error.message, expected.message);
  }
}

/**
 * Assert `fn` throws an `ErrorClass` whose name is exactly `expected.name`
 * (the class's name by default) and whose message, if given, is exactly
 * `expected.message`; the error.
 */
export function assertThrowsExactly<E extends Error>(
  fn: () => unknown,
  ErrorClass: ErrorClass<E>,
  expected: ExpectedError = {},
): E {
  const error = assertThrows(fn, ErrorClass);
  assertNamed(error, ErrorClass, expected);
  return error;
}

/** {@linkcode assertThrowsExactly} for a promise. */
export async function assertRejectsExactly<E extends Error>(
  promise: Promise<unknown>,
  ErrorClass: ErrorClass<E>,
  expected: ExpectedError = {},
): Promise<E> {
  const error = await assertRejects(() => promise, ErrorClass);
  assertNamed(error, ErrorClass, expected);
  return error;
}

/**
 * The one line a tool prints on stderr for a command line its
 * `parse<Tool>()` refuses, as printed (escaped); fails when it is accepted.
 */
export function refusedLine(
  tool: string,
  parse: (args: readonly string[]) => unknown,
  args: readonly string[],
): string {
  const error = assertThrows(
    () => parse(args),
    UsageError,
    undefined,
    `${tool} ${JSON.stringify(args).slice(0, 120)} was accepted`,
  );
  return escapeText(usageText(tool, error));
}
