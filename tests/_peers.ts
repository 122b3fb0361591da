// Helpers for the interop, fault, abuse and access-control tests: programs
// nobody here wrote (nc, ncat, socat, node, bash), found once and spawned with
// their output captured; our tools started on port 0; and the checks those
// tests share (whole reads, terminal safety, reading escapes back).

import { assert, assertStrictEquals, fail } from "@std/assert";
import {
  CAN_SPAWN,
  type Capture,
  deadline,
  ignoreUnless,
  listeningPort,
  NEEDS_SPAWN,
  type ReadResult,
  readToEnd,
  TestProcess,
  type TestProcessOptions,
  type ToolCommandOptions,
  waitUntil,
} from "./_util.ts";

/** The greeting of `server`. */
export const GREETING = "Hello, world!";

/** The peer programs these tests drive, how to recognise each, and its package. */
const PROGRAMS = {
  nc: {
    args: ["-h"],
    expect: /OpenBSD netcat/,
    what: "OpenBSD nc (Debian package netcat-openbsd)",
  },
  ncat: {
    args: ["--version"],
    expect: /Ncat: Version/,
    what: "ncat (Debian package ncat)",
  },
  socat: {
    args: ["-V"],
    expect: /socat version/,
    what: "socat (Debian package socat)",
  },
  // Where no `node` is on PATH, Deno 2 runs its own Node-compatible runtime
  // for `Deno.Command("node")`; its sockets send real RSTs as well.
  node: {
    args: [
      "-e",
      "process.stdout.write(String(!!require('net').Socket.prototype.resetAndDestroy))",
    ],
    expect: /^true$/,
    what: "Node.js 16.17 or later (for socket.resetAndDestroy(), to send RSTs)",
  },
  bash: {
    args: ["-c", "ulimit -n 64 && echo ok"],
    expect: /^ok$/,
    what: "bash with ulimit (to lower the server's file limit)",
  },
  // To give a tool a stdout that is a file (/dev/full), or a stdin that is
  // closed or a directory: what Deno.Command cannot set up.
  sh: {
    args: ["-c", "echo ok >/dev/null && echo ok"],
    expect: /^ok$/,
    what: "a POSIX sh (to redirect a tool's stdin and stdout)",
  },
  // To run a process tree in a session of its own, so that a test can end
  // whatever it leaves behind.
  setsid: {
    args: ["--version"],
    expect: /util-linux/,
    what: "setsid (Debian package util-linux)",
  },
} as const;

/** A peer program. */
export type Program = keyof typeof PROGRAMS;

const found = new Map<Program, boolean>();

/**
 * Whether `program` is installed and is the flavour the tests expect, asked
 * once by running it. False when processes may not be spawned.
 */
export function has(program: Program): boolean {
  if (!CAN_SPAWN) return false;
  let yes = found.get(program);
  if (yes === undefined) {
    const { args, expect } = PROGRAMS[program];
    try {
      const output = new Deno.Command(program, {
        args: [...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      const decoder = new TextDecoder();
      yes = expect.test(decoder.decode(output.stdout).trim()) ||
        expect.test(decoder.decode(output.stderr).trim());
    } catch {
      yes = false;
    }
    found.set(program, yes);
  }
  return yes;
}

/**
 * `ignore:` for a test that spawns processes and drives `programs`: ignored,
 * with the reason printed once, when any is missing.
 */
export function needs(...programs: Program[]): boolean {
  if (NEEDS_SPAWN()) return true;
  let ignore = false;
  for (const program of programs) {
    if (
      ignoreUnless(
        has(program),
        `tests that drive ${program} need ${
          PROGRAMS[program].what
        }, which is not installed here`,
      )
    ) ignore = true;
  }
  return ignore;
}

/** Whether this run may write files (some peers read their payload from one). */
export const CAN_WRITE: boolean =
  Deno.permissions.querySync({ name: "write" }).state === "granted";

/** `ignore:` for a test that needs a temporary file. */
export const NEEDS_WRITE = (): boolean =>
  ignoreUnless(
    CAN_WRITE,
    "tests that hand a peer its payload in a file need --allow-write (deno task test grants it)",
  );

/** A tool process that is listening, and its real port. */
export interface Started {
  proc: TestProcess;
  port: number;
}

/**
 * Start `server` or `listener` with `args` (which should hold `-p 0`) and
 * wait until it listens and says it waits. Fails fast if it exits instead.
 */
export async function startTool(
  tool: "server" | "listener",
  args: string[],
  options: TestProcessOptions & ToolCommandOptions = {},
): Promise<Started> {
  const proc = TestProcess.tool(tool, args, options);
  try {
    const waiting = tool === "server"
      ? /^server: waiting for connections\.\.\.$/
      : /^listener: waiting to recvfrom\.\.\.$/;
    const exited = proc.child.status.then((status) => {
      throw new Error(
        `${tool} exited ${status.code} before listening: ${proc.stderr.text}`,
      );
    });
    exited.catch(() => {});
    const port = await Promise.race([listeningPort(proc.stderr), exited]);
    if (!args.includes("--json")) {
      await Promise.race([proc.stdout.waitFor(waiting), exited]);
    }
    return { proc, port };
  } catch (error) {
    await proc[Symbol.asyncDispose]();
    throw error;
  }
}

/** Connect to `hostname:port` and read everything the server sends. */
export async function fetchAll(
  port: number,
  hostname = "127.0.0.1",
): Promise<ReadResult> {
  const conn = await deadline(
    Deno.connect({ hostname, port }),
    `a connection to ${hostname} port ${port}`,
  );
  return await readToEnd(conn, { resetEnds: true });
}

/** Write all of `data`. */
export async function writeAll(
  conn: Deno.Conn,
  data: Uint8Array,
): Promise<void> {
  for (let sent = 0; sent < data.length;) {
    sent += await conn.write(data.subarray(sent));
  }
}

/** A one-connection TCP peer written here. */
export interface TestPeer {
  port: number;
  /** Resolves once the peer has served and closed everything. */
  done: Promise<void>;
}

/**
 * Listen on `hostname:0`, accept one connection, let `serve` drive it, then
 * close it and the listener.
 */
export function onePeer(
  serve: (conn: Deno.Conn) => Promise<void>,
  hostname = "127.0.0.1",
): TestPeer {
  const listener = Deno.listen({ hostname, port: 0 });
  const done = (async (): Promise<void> => {
    try {
      const conn = await deadline(listener.accept(), "the client to connect");
      try {
        await serve(conn);
      } finally {
        try {
          conn.close();
        } catch { /* serve closed it */ }
      }
    } finally {
      listener.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

/** A TCP peer that resets its connection when told to. */
export interface ResettingPeer {
  proc: TestProcess;
  port: number;
  /** Resolves once the peer's data is written to its socket. */
  sent: Promise<unknown>;
  /** Reset the connection now (an RST, as SO_LINGER 0 closes). */
  reset(): Promise<void>;
}

/**
 * A peer on 127.0.0.1 run by Node (`needs("node")`): it accepts one
 * connection, sends `data`, and resets the connection on `reset()`. Deno
 * cannot set SO_LINGER; Node's `resetAndDestroy()` does.
 */
export async function resettingPeer(data: string): Promise<ResettingPeer> {
  const script = `
    const net = require("net");
    let conn;
    process.on("SIGUSR2", () => {
      conn?.resetAndDestroy();
      console.log("reset");
    });
    const server = net.createServer((socket) => {
      server.close();
      conn = socket;
      socket.write(${JSON.stringify(data)}, () => console.log("sent"));
    });
    server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
  `;
  const proc = new TestProcess("node", ["-e", script]);
  const [, port] = await proc.stdout.waitFor(/^port (\d+)$/, "the peer's port");
  return {
    proc,
    port: Number(port),
    sent: proc.stdout.waitFor(/^sent$/, "the peer to send"),
    async reset(): Promise<void> {
      proc.kill("SIGUSR2");
      await proc.stdout.waitFor(/^reset$/, "the peer to reset");
    },
  };
}

/**
 * Wait until the TCP connection to `peerPort` on 127.0.0.1 has nothing
 * queued either way: what the peer sent was acknowledged, and read by the
 * client. Read from `/proc/net/tcp` (Linux); a bounded poll.
 */
export async function waitConsumed(peerPort: number): Promise<void> {
  const hex = `:${peerPort.toString(16).toUpperCase().padStart(4, "0")}`;
  await waitUntil(() => {
    const ends = readProc("/proc/net/tcp").split("\n").slice(1)
      .map((row) => row.trim().split(/\s+/))
      .filter((f) =>
        f[3] === "01" && (f[1]!.endsWith(hex) || f[2]!.endsWith(hex))
      );
    return ends.length >= 2 && ends.every((f) => f[4] === "00000000:00000000");
  }, `the connection to port ${peerPort} to drain`);
}

/**
 * The bytes waiting in the receive queue of the UDP socket on `port`, and
 * the datagrams it dropped, from `/proc/net/udp` and `/proc/net/udp6`.
 */
export function udpQueue(port: number): { queued: number; drops: number } {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const file of ["/proc/net/udp6", "/proc/net/udp"]) {
    for (const row of readProc(file).split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[1]?.endsWith(hex)) {
        return {
          queued: parseInt(f[4]!.split(":")[1]!, 16),
          drops: Number(f.at(-1)),
        };
      }
    }
  }
  throw new Error(`no UDP socket on port ${port}`);
}

/** Signal numbers on Linux, for {@linkcode catches}. */
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Whether process `pid` has a handler for `signal` (`SigCgt` of
 * `/proc/PID/status`, Linux): a test waits for it before sending one.
 */
export function catches(
  pid: number,
  signal: keyof typeof SIGNAL_NUMBERS,
): boolean {
  const status = readProc(`/proc/${pid}/status`);
  const mask = BigInt(`0x${status.match(/^SigCgt:\s*([0-9a-f]+)$/m)![1]}`);
  return (mask & (1n << BigInt(SIGNAL_NUMBERS[signal] - 1))) !== 0n;
}

/**
 * A file of `/proc`, read by `cat`: Deno asks for every permission
 * (`--allow-all`) to read `/proc` itself, and the tests run with fewer.
 */
export function readProc(path: string): string {
  const { success, stdout } = new Deno.Command("cat", {
    args: [path],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!success) throw new Error(`cannot read ${path}`);
  return new TextDecoder().decode(stdout);
}

/** Whether `/proc/net/tcp` and the like can be read (Linux). */
export const HAS_PROC_NET: boolean = CAN_SPAWN && (() => {
  try {
    return readProc("/proc/net/tcp").startsWith("  sl");
  } catch {
    return false;
  }
})();

/** How many lines of `capture` equal `line`. */
export function countLines(capture: Capture, line: string): number {
  return capture.lines.filter((l) => l === line).length;
}

export { assertNoStack, waitUntil } from "./_util.ts";

/** The C1 controls, bidi controls and line separators as UTF-8 byte prefixes. */
const UNSAFE_SEQUENCES: [string, (b: Uint8Array, i: number) => boolean][] = [
  [
    "a C1 control (U+0080-U+009F)",
    (b, i) => b[i] === 0xc2 && b[i + 1]! >= 0x80 && b[i + 1]! <= 0x9f,
  ],
  [
    "U+200E/U+200F (LRM/RLM)",
    (b, i) =>
      b[i] === 0xe2 && b[i + 1] === 0x80 &&
      (b[i + 2] === 0x8e || b[i + 2] === 0x8f),
  ],
  [
    "a bidi embedding or override (U+202A-U+202E) or a separator (U+2028/9)",
    (b, i) =>
      b[i] === 0xe2 && b[i + 1] === 0x80 && b[i + 2]! >= 0xa8 &&
      b[i + 2]! <= 0xae,
  ],
  [
    "a bidi isolate (U+2066-U+2069)",
    (b, i) =>
      b[i] === 0xe2 && b[i + 1] === 0x81 && b[i + 2]! >= 0xa6 &&
      b[i + 2]! <= 0xa9,
  ],
];

/**
 * Assert that bytes written to a terminal cannot drive it: valid UTF-8, no
 * control byte but `\n`, no DEL, no UTF-8 C1 control, no bidi control.
 */
export function assertTerminalSafe(output: Uint8Array, what: string): void {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(output);
  } catch {
    fail(`${what}: not valid UTF-8`);
  }
  for (let i = 0; i < output.length; i++) {
    const byte = output[i]!;
    if ((byte < 0x20 && byte !== 0x0a) || byte === 0x7f) {
      fail(
        `${what}: byte 0x${byte.toString(16).padStart(2, "0")} at ${i}`,
      );
    }
    for (const [name, matches] of UNSAFE_SEQUENCES) {
      if (matches(output, i)) fail(`${what}: ${name} at ${i}`);
    }
  }
}

/**
 * Read the tools' escaped form back into bytes: `\\`, `\n`, `\r`, `\t`,
 * `\xNN` (one byte), `\u{N}` (a code point, as UTF-8), anything else as its
 * UTF-8. Throws on any other backslash, so a round trip proves the escaped
 * form is unambiguous.
 */
export function unescape(text: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length;) {
    const char = text[i]!;
    if (char !== "\\") {
      const codePoint = text.codePointAt(i)!;
      const literal = String.fromCodePoint(codePoint);
      out.push(...encoder.encode(literal));
      i += literal.length;
      continue;
    }
    const next = text[i + 1];
    const simple: Record<string, number> = {
      "\\": 0x5c,
      n: 0x0a,
      r: 0x0d,
      t: 0x09,
    };
    if (next !== undefined && Object.hasOwn(simple, next)) {
      out.push(simple[next]!);
      i += 2;
      continue;
    }
    const hex = /^\\x([0-9a-f]{2})/.exec(text.slice(i, i + 4));
    if (hex) {
      out.push(parseInt(hex[1]!, 16));
      i += 4;
      continue;
    }
    const unicode = /^\\u\{([0-9a-f]{1,6})\}/.exec(text.slice(i, i + 11));
    if (unicode) {
      out.push(
        ...encoder.encode(String.fromCodePoint(parseInt(unicode[1]!, 16))),
      );
      i += unicode[0].length;
      continue;
    }
    throw new SyntaxError(`Unknown escape at ${i}: ${text.slice(i, i + 12)}`);
  }
  return Uint8Array.from(out);
}

/** Read a `hexdump -C` style dump back into bytes, checking its layout. */
export function unhex(rows: readonly string[]): Uint8Array {
  const out: number[] = [];
  for (const [n, row] of rows.entries()) {
    const match = /^([0-9a-f]{8}) {2}(.{49}) \|([\x20-\x7e]{1,16})\|$/.exec(
      row,
    );
    assert(match, `not a hex dump row: ${JSON.stringify(row)}`);
    assertStrictEquals(parseInt(match[1]!, 16), n * 16, `offset of row ${n}`);
    const values = match[2]!.trim().split(/ +/).map((h) => parseInt(h, 16));
    assertStrictEquals(
      values.length,
      match[3]!.length,
      `row ${n}: hex and text`,
    );
    values.forEach((value, k) => {
      const shown = match[3]![k]!;
      const expected = value >= 0x20 && value <= 0x7e
        ? String.fromCharCode(value)
        : ".";
      assertStrictEquals(shown, expected, `row ${n}, byte ${k}`);
    });
    out.push(...values);
  }
  return Uint8Array.from(out);
}

/** The bytes 0x00-0xff, in order, `times` times over. */
export function everyByte(times = 1): Uint8Array {
  return Uint8Array.from({ length: 256 * times }, (_, i) => i & 0xff);
}

/** Pseudo-random bytes, the same for the same seed (so a failure repeats). */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A UDP socket on `hostname:0` that `using` closes. */
export function udpPeer(
  hostname = "127.0.0.1",
): Deno.DatagramConn & Disposable {
  const socket = Deno.listenDatagram({ hostname, port: 0, transport: "udp" });
  return Object.assign(socket, {
    [Symbol.dispose](): void {
      try {
        socket.close();
      } catch { /* already closed */ }
    },
  });
}

/** An address as socat and nc write it after the port's colon or space. */
export function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
