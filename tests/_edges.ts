// Helpers for the tests of the tools' edges with the Unix around them: a tool
// whose stdout is a file (or /dev/full), whose stdin is closed or a directory,
// whose stdout reader goes away; a TCP peer that resets.

import {
  CAN_SPAWN,
  Capture,
  deadline,
  DEADLINE_MS,
  entry,
  ignoreUnless,
} from "./_util.ts";

/** How a spawned tool's stdin is set up. */
export type StdinSetup =
  | "null"
  | "closed"
  | { path: string }
  | { bytes: Uint8Array };

/** Options for {@linkcode spawnTool}. */
export interface SpawnOptions {
  /** Where stdout goes: piped (the default), or a file (`/dev/full`). */
  stdout?: "piped" | { path: string };
  /** What stdin is. @default {"null"} */
  stdin?: StdinSetup;
  /** The permission flags. @default {["--allow-net"]} */
  permissions?: string[];
  /** Deno flags before the permissions. @default {["--unstable-net"]} */
  flags?: string[];
}

/** A tool started as a process, with its stderr (and piped stdout) captured. */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stderr: Capture = new Capture();
  /** Stdout as read so far; empty when stdout is a file. */
  readonly stdout: Capture = new Capture();
  readonly #pumps: Promise<void>[] = [];
  #stdoutReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #exited = false;

  constructor(tool: string, args: string[], options: SpawnOptions = {}) {
    const deno = [
      Deno.execPath(),
      "run",
      "--quiet",
      ...(options.flags ?? ["--unstable-net"]),
      ...(options.permissions ?? ["--allow-net"]),
      entry(tool),
      ...args,
    ];
    // A shell sets up what Deno.Command cannot: stdout to a file, stdin
    // closed or a directory. `exec` leaves the tool as the child itself.
    let script = 'exec "$@"';
    const env: Record<string, string> = { NO_COLOR: "1" };
    const stdout = options.stdout ?? "piped";
    if (stdout !== "piped") {
      script += ' >"$EDGE_STDOUT"';
      env.EDGE_STDOUT = stdout.path;
    }
    const stdin = options.stdin ?? "null";
    if (stdin === "closed") script += " <&-";
    else if (typeof stdin === "object" && "path" in stdin) {
      script += ' <"$EDGE_STDIN"';
      env.EDGE_STDIN = stdin.path;
    }
    const feed = typeof stdin === "object" && "bytes" in stdin
      ? stdin.bytes
      : undefined;
    const child = new Deno.Command("sh", {
      args: ["-c", script, "sh", ...deno],
      stdin: feed ? "piped" : "null",
      stdout: stdout === "piped" ? "piped" : "null",
      stderr: "piped",
      env,
    }).spawn();
    this.child = child;
    child.status.then(() => this.#exited = true);
    this.#pumps.push(pump(child.stderr.getReader(), this.stderr));
    if (stdout === "piped") {
      this.#stdoutReader = child.stdout.getReader();
      this.#pumps.push(pump(this.#stdoutReader, this.stdout));
    }
    if (feed) {
      this.#pumps.push((async () => {
        const writer = child.stdin.getWriter();
        try {
          await writer.write(feed);
          await writer.close();
        } catch { /* the tool exited before reading it all */ }
      })());
    }
  }

  /**
   * Close our end of the stdout pipe, as `head` does when it has its lines:
   * the tool's next write fails with EPIPE.
   */
  async closeStdout(): Promise<void> {
    await this.#stdoutReader?.cancel();
  }

  /** Its exit status, within the deadline, once its output was read. */
  async status(
    what = "the tool to exit",
    ms = DEADLINE_MS,
  ): Promise<Deno.CommandStatus> {
    const status = await deadline(this.child.status, what, ms);
    await Promise.all(this.#pumps);
    return status;
  }

  /** Send a signal, if it is still running. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
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
  reader: ReadableStreamDefaultReader<Uint8Array>,
  sink: Capture,
): Promise<void> {
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      sink.writeSync(value);
    }
  } catch { /* cancelled by closeStdout() */ }
}

/** Run a tool to its end; its status and output. */
export async function runSpawned(
  tool: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<
  { status: Deno.CommandStatus; stdout: string; stderr: string }
> {
  await using run = new Spawned(tool, args, options);
  const status = await run.status(`${tool} ${args.join(" ")}`);
  return { status, stdout: run.stdout.text, stderr: run.stderr.text };
}

/** The port a tool printed as `TOOL: listening on ADDR:PORT`. */
export async function portOf(run: Spawned): Promise<number> {
  const exited = run.child.status.then((status) => {
    throw new Error(
      `exited ${status.code} before listening: ${run.stderr.text}`,
    );
  });
  exited.catch(() => {});
  const match = await Promise.race([
    run.stderr.waitFor(/listening on .*:(\d+)$/, "the listening line"),
    exited,
  ]);
  return Number(match[1]);
}

/** Whether `program` runs here (asked once). */
const found = new Map<string, boolean>();
function runs(program: string, args: string[]): boolean {
  if (!CAN_SPAWN) return false;
  let yes = found.get(program);
  if (yes === undefined) {
    try {
      yes = new Deno.Command(program, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      yes = false;
    }
    found.set(program, yes);
  }
  return yes;
}

/** `ignore:` for a test that needs `sh` (every Unix has it) and spawning. */
export const NEEDS_SH = (): boolean =>
  ignoreUnless(
    runs("sh", ["-c", "exit 0"]),
    "tests that redirect a tool's stdout need sh and --allow-run --allow-read --allow-env",
  );

/** `ignore:` for a test whose peer resets (SO_LINGER 0) through Node. */
export const NEEDS_NODE = (): boolean =>
  NEEDS_SH() ||
  ignoreUnless(
    runs("node", [
      "-e",
      "process.exit(require('net').Socket.prototype.resetAndDestroy ? 0 : 1)",
    ]),
    "tests with a peer that resets need Node.js 16.17 or later (socket.resetAndDestroy() sends an RST)",
  );

/**
 * A TCP peer on 127.0.0.1 run by Node: it accepts one connection, sends
 * `data`, and resets the connection (SO_LINGER 0, an RST) when told to.
 */
export class ResettingPeer implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: Capture = new Capture();
  readonly #pump: Promise<void>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;

  constructor(data: string) {
    const script = `
      const net = require("net");
      const server = net.createServer((socket) => {
        server.close();
        socket.write(${JSON.stringify(data)}, () => console.log("sent"));
        process.stdin.once("data", () => {
          socket.resetAndDestroy();
          console.log("reset");
          process.stdin.destroy();
        });
      });
      server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
    `;
    this.child = new Deno.Command("node", {
      args: ["-e", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#stdin = this.child.stdin.getWriter();
    this.#pump = pump(this.child.stdout.getReader(), this.stdout);
  }

  /** The port it listens on. */
  async port(): Promise<number> {
    const match = await this.stdout.waitFor(/^port (\d+)$/, "the peer's port");
    return Number(match[1]);
  }

  /** Reset the connection now. */
  async reset(): Promise<void> {
    await this.#stdin.write(new Uint8Array([10]));
    await this.stdout.waitFor(/^reset$/, "the peer to reset");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.#stdin.close();
    } catch { /* closed */ }
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
    await this.#pump;
  }
}

/**
 * Wait until a TCP connection to `peerPort` on 127.0.0.1 has nothing queued
 * either way: what the peer sent was acknowledged and read by the client.
 * Read from `/proc/net/tcp` (Linux); polled, bounded by the deadline.
 */
export async function waitConsumed(peerPort: number): Promise<void> {
  const hex = peerPort.toString(16).toUpperCase().padStart(4, "0");
  const end = performance.now() + DEADLINE_MS;
  while (true) {
    const rows = Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1)
      .map((row) => row.trim().split(/\s+/))
      .filter((f) => f.length > 4 && f[3] === "01");
    const mine = rows.filter((f) =>
      f[1]!.endsWith(`:${hex}`) || f[2]!.endsWith(`:${hex}`)
    );
    if (
      mine.length >= 2 && mine.every((f) => f[4] === "00000000:00000000")
    ) return;
    if (performance.now() > end) {
      throw new Error(`Timed out waiting for port ${peerPort} to drain`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether /proc/net/tcp can be read (Linux). */
export const HAS_PROC_NET: boolean = (() => {
  try {
    Deno.readTextFileSync("/proc/net/tcp");
    return true;
  } catch {
    return false;
  }
})();

/** Lines of text. */
export function linesOf(text: string): string[] {
  return text.split("\n").slice(0, -1);
}
