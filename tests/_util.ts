// Helpers shared by the tests: capture a tool's output in process, spawn a
// tool as a process, wait for a line with a deadline, and say why a test
// that needs more permissions than it has is ignored.

import assert from "node:assert/strict";
import type { MainOptions, Sink } from "../cmd/_cli.ts";

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

/** Reject with a clear message when `promise` takes longer than `ms`. */
export async function deadline<T>(
  promise: Promise<T>,
  what: string,
  ms = DEADLINE_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
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

/** The entry file of a tool. */
export function entry(tool: string): string {
  return new URL(`../cmd/${tool}.ts`, import.meta.url).pathname;
}

/** A tool running as its own process, its output read line by line. */
export class ToolProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout = new Capture();
  readonly stderr = new Capture();
  readonly #pumps: Promise<void>[];

  constructor(
    tool: string,
    args: string[],
    options: {
      stdin?: "piped" | "null";
      permissions?: string[];
      env?: Record<string, string>;
    } = {},
  ) {
    const permissions = options.permissions ?? ["--allow-net"];
    this.child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--unstable-net",
        ...permissions,
        entry(tool),
        ...args,
      ],
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...options.env },
    }).spawn();
    this.#pumps = [
      pump(this.child.stdout, this.stdout),
      pump(this.child.stderr, this.stderr),
    ];
  }

  /** Wait for the process to exit and its output to be read; its exit code. */
  async exit(what = "the process to exit"): Promise<number> {
    const status = await deadline(this.child.status, what);
    await Promise.all(this.#pumps);
    return status.code;
  }

  /** Send a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.child.status;
    await Promise.all(this.#pumps);
  }
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  sink: Capture,
): Promise<void> {
  for await (const chunk of stream) sink.writeSync(chunk);
}

/** Run a tool to completion; its exit code and output. */
export async function runTool(
  tool: string,
  args: string[],
  options: { stdin?: Uint8Array; permissions?: string[] } = {},
): Promise<
  { code: number; stdout: string; stderr: string; bytes: Uint8Array }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--unstable-net",
      ...(options.permissions ?? ["--allow-net"]),
      entry(tool),
      ...args,
    ],
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

/** Encode text. */
export const bytes = (text: string): Uint8Array =>
  new TextEncoder().encode(text);

/** Fail when a tool's output shows an uncaught error or a stack trace. */
export function assertNoStack(text: string, what = "output"): void {
  assert.doesNotMatch(text, /Uncaught/, `${what} has "Uncaught": ${text}`);
  assert.doesNotMatch(text, /^\s+at \S/m, `${what} has a stack frame: ${text}`);
  assert.doesNotMatch(text, /^error: /m, `${what} has a Deno error: ${text}`);
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
  assert.equal(result.code, 1, what);
  assert.equal(result.stdout, "", what);
  assertNoStack(result.stderr, what);
  const lines = result.stderr.split("\n").slice(0, -1);
  assert.equal(lines.length, 1, `${what}: ${result.stderr}`);
  assert.match(lines[0]!, expected, what);
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
