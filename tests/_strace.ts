// Holds a `--trace` against `strace -f`: runs a program under strace, parses
// the system calls, and checks the trace event by event — every system call
// a trace event names happened, on the same socket, with the same address,
// port, byte count and result, in the same order — and the other way round:
// every call on the program's own IPv4/IPv6 sockets is named by the trace
// (a call that found nothing to do yet, `= -1 EAGAIN`, is the runtime's
// polling and is passed over). Where strace is missing or ptrace is not
// allowed, the tests that need it are ignored, saying so.

import { AssertionError } from "@std/assert";
import type { TraceEvent } from "../lib/trace.ts";
import {
  TestProcess,
  type TestProcessOptions,
  toolCommand,
  waitUntil,
} from "./_util.ts";

/** The system calls the check reads. */
const TRACED = [
  "socket",
  "bind",
  "listen",
  "accept",
  "accept4",
  "connect",
  "getsockname",
  "getpeername",
  "getsockopt",
  "setsockopt",
  "sendto",
  "recvfrom",
  "sendmsg",
  "recvmsg",
  "sendmmsg",
  "recvmmsg",
  "shutdown",
  "close",
  "fcntl",
  "ioctl",
  "read",
  "write",
  "readv",
  "writev",
  "openat",
  "clone",
  "clone3",
  "fork",
  "vfork",
];

/** Files whose opening shows that getaddrinfo() ran. */
const RESOLVER_FILES = ["/etc/nsswitch.conf", "/etc/hosts"];

function probeStrace(): string | undefined {
  const allowed = (["run", "read", "write", "env"] as const).every((name) =>
    Deno.permissions.querySync({ name }).state === "granted"
  );
  if (!allowed) {
    return "strace cross-checks need --allow-run --allow-read --allow-write --allow-env (deno task test grants them)";
  }
  try {
    const probe = new Deno.Command("strace", {
      args: ["-f", "-qq", "-o", "/dev/null", "true"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (probe.success) return undefined;
    const why = new TextDecoder().decode(probe.stderr).split("\n")[0];
    return `strace cannot trace here (ptrace not permitted?): ${why}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "strace is not installed (Debian: apt-get install strace)";
    }
    return `strace cannot run: ${error}`;
  }
}

/** Why strace cross-checks cannot run here, or `undefined` when they can. */
export const STRACE_MISSING: string | undefined = probeStrace();

/** A socket address as strace prints it. */
export interface SockAddr {
  family: string;
  address?: string;
  port?: number;
}

/** One system call, as strace wrote it (an unfinished call joined up). */
export interface Syscall {
  /** Its place in the strace output, by entry. */
  index: number;
  /** The thread. */
  pid: number;
  name: string;
  /** The arguments, split at top-level commas. */
  args: string[];
  /** The result as written: `0`, `21<socket:[123]>`, `-1 EAGAIN (...)`. */
  result: string;
  /** The number returned, when there is one. */
  ret?: number;
  /** The error name when it returned -1. */
  errno?: string;
  /** The socket inode of the first argument, when it is a socket. */
  inode?: number;
  /** The socket inode a call returned (socket, accept4). */
  returnedInode?: number;
  /** The line, for messages. */
  line: string;
}

/** Split strace's arguments at the commas that are not nested or quoted. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === "\\") i++;
      }
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "<" && /\d/.test(text[i - 1] ?? "")) angle++;
    else if (c === ">" && angle > 0) angle--;
    else if (c === "," && depth === 0 && angle === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last !== "" || args.length > 0) args.push(last);
  return args;
}

const SOCKET_FD = /^-?\d+<(?:socket|TCP|TCPv6|UDP|UDPv6):\[(\d+)\]>/;

function inodeOf(text: string | undefined): number | undefined {
  const match = text === undefined ? null : SOCKET_FD.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Parse one `{sa_family=...}` as strace writes it. */
export function parseSockAddr(text: string | undefined): SockAddr | undefined {
  if (text === undefined || !text.startsWith("{sa_family=")) return undefined;
  const family = /sa_family=(\w+)/.exec(text)?.[1] ?? "?";
  const port = /sin6?_port=htons\((\d+)\)/.exec(text)?.[1];
  const address = /inet_addr\("([^"]+)"\)/.exec(text)?.[1] ??
    /inet_pton\(AF_INET6, "([^"]+)"/.exec(text)?.[1];
  return {
    family,
    ...(address === undefined ? {} : { address }),
    ...(port === undefined ? {} : { port: Number(port) }),
  };
}

/** Parse strace's `-f -y` output into calls. */
export function parseStrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const pending = new Map<number, { head: string; index: number }>();
  let index = 0;
  for (const raw of text.split("\n")) {
    const match = /^(\d+)\s+(.*)$/.exec(raw);
    if (!match) continue;
    const pid = Number(match[1]);
    let body = match[2]!;
    let at = index++;
    if (body.startsWith("+++") || body.startsWith("---")) continue;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed) {
      const head = pending.get(pid);
      if (!head) continue;
      pending.delete(pid);
      body = head.head + resumed[2];
      at = head.index;
    } else if (body.endsWith(" <unfinished ...>")) {
      pending.set(pid, {
        head: body.slice(0, -" <unfinished ...>".length),
        index: at,
      });
      continue;
    }
    const call = /^(\w+)\((.*)$/.exec(body);
    if (!call) continue;
    const ends = [...call[2]!.matchAll(/\)\s+= /g)];
    const end = ends.at(-1);
    if (!end) continue; // exit_group and the like: no result
    const argsText = call[2]!.slice(0, end.index);
    const result = call[2]!.slice(end.index! + end[0].length).trim();
    const args = splitArgs(argsText);
    const retMatch = /^(-?\d+)/.exec(result);
    const errno = /^-1 (E\w+)/.exec(result)?.[1];
    calls.push({
      index: at,
      pid,
      name: call[1]!,
      args,
      result,
      ...(retMatch ? { ret: Number(retMatch[1]) } : {}),
      ...(errno ? { errno } : {}),
      ...(inodeOf(args[0]) === undefined ? {} : { inode: inodeOf(args[0]) }),
      ...(inodeOf(result) === undefined
        ? {}
        : { returnedInode: inodeOf(result) }),
      line: raw,
    });
  }
  return calls.sort((a, b) => a.index - b.index);
}

/** A socket of the program's own, as strace saw it from birth to close. */
interface Stream {
  inode: number;
  pid: number;
  family: string;
  /** How it was made: socket() or accept4() on a listening socket. */
  born: Syscall;
  calls: Syscall[];
}

/**
 * The IPv4 and IPv6 sockets the program made, in the order it made them,
 * leaving out those of the resolver's threads (glibc's RFC 6724 probes).
 */
function ownStreams(calls: readonly Syscall[]): Stream[] {
  const resolverThreads = new Set(
    calls.filter((c) =>
      c.name === "openat" &&
      RESOLVER_FILES.some((file) => c.args[1] === `"${file}"`)
    ).map((c) => c.pid),
  );
  const streams = new Map<number, Stream>();
  const order: Stream[] = [];
  for (const call of calls) {
    if (call.name === "socket" && call.returnedInode !== undefined) {
      const family = call.args[0]!;
      if (family !== "AF_INET" && family !== "AF_INET6") continue;
      if (resolverThreads.has(call.pid)) continue;
      const stream = {
        inode: call.returnedInode,
        pid: call.pid,
        family,
        born: call,
        calls: [call],
      };
      streams.set(call.returnedInode, stream);
      order.push(stream);
      continue;
    }
    if (call.inode !== undefined && streams.has(call.inode)) {
      streams.get(call.inode)!.calls.push(call);
    }
    if (
      (call.name === "accept4" || call.name === "accept") &&
      call.returnedInode !== undefined && call.inode !== undefined &&
      streams.has(call.inode)
    ) {
      const listener = streams.get(call.inode)!;
      const stream = {
        inode: call.returnedInode,
        pid: call.pid,
        family: listener.family,
        born: call,
        calls: [],
      };
      streams.set(call.returnedInode, stream);
      order.push(stream);
    }
  }
  return order;
}

/** One system call a trace event says happened, and how to know it. */
interface Expected {
  event: TraceEvent;
  name: string;
  /** The argument in the event's `syscalls` entry, `F_GETFL` in `fcntl(F_GETFL)`. */
  detail?: string;
  /** Whether this is the last system call of its event. */
  last: boolean;
}

const DEFAULT_SYSCALL: Partial<Record<string, string>> = {
  accept: "accept4",
  send: "sendto",
  recv: "recvfrom",
};

function expand(event: TraceEvent): Expected[] {
  const names = event.syscalls ??
    [DEFAULT_SYSCALL[event.call] ?? event.call];
  return names.map((entry, i) => {
    const match = /^(\w+)(?:\((.*)\))?$/.exec(entry)!;
    return {
      event,
      name: match[1]!,
      ...(match[2] === undefined ? {} : { detail: match[2] }),
      last: i === names.length - 1,
    };
  });
}

function sameAddress(
  got: SockAddr | undefined,
  address: string | undefined,
  port: number | undefined,
): boolean {
  if (!got) return false;
  if (address !== undefined && got.address !== address) return false;
  if (port !== undefined && got.port !== port) return false;
  return true;
}

function resultMatches(call: Syscall, event: TraceEvent): boolean {
  if (event.result === undefined) return true;
  if (event.result === -1) {
    return call.ret === -1 &&
      (event.errno === undefined || call.errno === event.errno);
  }
  return call.ret === event.result;
}

/** Why `call` is not what `expected` says, or `undefined` when it is. */
function mismatch(call: Syscall, expected: Expected): string | undefined {
  const { event, name, detail, last } = expected;
  if (call.name !== name) {
    return `expected ${name}(), strace has ${call.name}()`;
  }
  const a = call.args;
  switch (name) {
    case "socket": {
      const want = [event.family, event.type, event.protocol];
      if (a[0] !== want[0] || a[1] !== want[1] || a[2] !== want[2]) {
        return `socket(${want.join(", ")}) expected`;
      }
      return resultMatches(call, event) ? undefined : "result differs";
    }
    case "setsockopt":
      if (
        a[1] !== event.level || a[2] !== event.option ||
        a[3] !== `[${event.value}]`
      ) {
        return `setsockopt(${event.level}, ${event.option}, [${event.value}]) expected`;
      }
      return resultMatches(call, event) ? undefined : "result differs";
    case "fcntl":
      if (detail === "F_GETFL") {
        return a[1] === "F_GETFL" ? undefined : "F_GETFL expected";
      }
      if (a[1] !== "F_SETFL" || `F_SETFL, ${a[2]}` !== event.command) {
        return `fcntl(${event.command}) expected`;
      }
      return resultMatches(call, event) ? undefined : "result differs";
    case "bind":
      if (!sameAddress(parseSockAddr(a[1]), event.address, event.port)) {
        return `bind to ${event.address} port ${event.port} expected`;
      }
      return resultMatches(call, event) ? undefined : "result differs";
    case "listen":
      if (a[1] !== String(event.backlog)) {
        return `backlog ${event.backlog} expected`;
      }
      return resultMatches(call, event) ? undefined : "result differs";
    case "getsockname":
      if (event.call !== "getsockname") return undefined;
      return sameAddress(parseSockAddr(a[1]), event.address, event.port)
        ? undefined
        : `getsockname() = ${event.address} port ${event.port} expected`;
    case "getpeername":
      return undefined;
    case "accept4":
    case "accept":
      if (event.result === -1) {
        return resultMatches(call, event) ? undefined : "result differs";
      }
      if (call.returnedInode === undefined) return "no socket returned";
      if (a[3] !== undefined && a[3] !== "SOCK_CLOEXEC|SOCK_NONBLOCK") {
        return "flags SOCK_CLOEXEC|SOCK_NONBLOCK expected";
      }
      return sameAddress(parseSockAddr(a[1]), event.address, event.port)
        ? undefined
        : `peer ${event.address} port ${event.port} expected`;
    case "connect": {
      if (!sameAddress(parseSockAddr(a[1]), event.address, event.port)) {
        return `connect to ${event.address} port ${event.port} expected`;
      }
      if (last) {
        return resultMatches(call, event) ? undefined : "result differs";
      }
      // Non-blocking: the real answer comes from getsockopt(SO_ERROR).
      return call.errno === "EINPROGRESS" || call.ret === 0
        ? undefined
        : `-1 EINPROGRESS expected, strace has ${call.result}`;
    }
    case "getsockopt": {
      if (a[1] !== "SOL_SOCKET" || a[2] !== "SO_ERROR") {
        return "SO_ERROR expected";
      }
      const want = event.result === -1 ? `[${event.errno}]` : "[0]";
      return a[3] === want
        ? undefined
        : `SO_ERROR ${want} expected, strace has ${a[3]}`;
    }
    case "sendto": {
      if (a[2] !== String(event.length)) {
        return `${event.length} bytes expected`;
      }
      if (a[3] !== "MSG_NOSIGNAL") return "MSG_NOSIGNAL expected";
      if (event.call === "sendto") {
        if (!sameAddress(parseSockAddr(a[4]), event.address, event.port)) {
          return `sendto ${event.address} port ${event.port} expected`;
        }
      } else if (a[4] !== "NULL") return "no address expected";
      return resultMatches(call, event) ? undefined : "result differs";
    }
    case "recvfrom": {
      if (event.length !== undefined && a[2] !== String(event.length)) {
        return `a ${event.length}-byte buffer expected`;
      }
      if (event.call === "recvfrom" && event.result !== -1) {
        if (!sameAddress(parseSockAddr(a[4]), event.address, event.port)) {
          return `a datagram from ${event.address} port ${event.port} expected`;
        }
      }
      return resultMatches(call, event) ? undefined : "result differs";
    }
    case "shutdown":
      return a[1] === detail ? undefined : `shutdown(${detail}) expected`;
    case "close":
      return resultMatches(call, event) ? undefined : "result differs";
  }
  return `no rule for ${name}()`;
}

/** What {@linkcode checkTrace} matched: for messages and extra assertions. */
export interface CheckedTrace {
  /** The program's own sockets strace saw. */
  sockets: number;
  /** The system calls the trace named, all found. */
  matched: number;
}

function fail(message: string, calls?: readonly Syscall[]): never {
  const shown = calls === undefined
    ? ""
    : "\nstrace, this socket:\n" + calls.map((c) => `  ${c.line}`).join("\n");
  throw new AssertionError(message + shown);
}

function describe(event: TraceEvent): string {
  return JSON.stringify({ ...event, data: undefined, note: undefined });
}

/**
 * Check a program's trace events against its system calls. Events are
 * grouped by `socket`; the sockets, numbered in the order the program made
 * them, are paired with the program's own sockets in strace's order; on each
 * socket every call strace shows must be the next one the trace names.
 *
 * @throws {AssertionError} At the first difference, with strace's lines.
 */
export function checkTrace(
  events: readonly TraceEvent[],
  calls: readonly Syscall[],
): CheckedTrace {
  const streams = ownStreams(calls);
  // Each thread numbers its own sockets: a worker's events go with the
  // sockets of one strace thread, found by trying each.
  const threads = new Map<number, TraceEvent[]>();
  for (const event of events) {
    const thread = event.thread ?? 0;
    if (!threads.has(thread)) threads.set(thread, []);
    threads.get(thread)!.push(event);
  }
  const byPid = new Map<number, Stream[]>();
  for (const stream of streams) {
    if (!byPid.has(stream.pid)) byPid.set(stream.pid, []);
    byPid.get(stream.pid)!.push(stream);
  }
  let matched = 0;
  for (const [thread, list] of [...threads].sort((a, b) => a[0] - b[0])) {
    if (!list.some((e) => e.socket !== undefined && e.skipped === undefined)) {
      continue;
    }
    if (threads.size === 1 && byPid.size <= 1) {
      matched += checkThread(list, [...byPid.values()][0] ?? [], calls);
      byPid.clear();
      continue;
    }
    const reasons: string[] = [];
    let found = false;
    for (const [pid, own] of byPid) {
      try {
        matched += checkThread(list, own, calls);
      } catch (error) {
        reasons.push(`thread ${pid}: ${(error as Error).message}`);
        continue;
      }
      byPid.delete(pid);
      found = true;
      break;
    }
    if (!found) {
      fail(
        `no strace thread matches the trace of ${
          thread === 0 ? "the main thread" : `worker ${thread}`
        }:\n${reasons.join("\n")}`,
      );
    }
  }
  if (byPid.size > 0) {
    const hidden = [...byPid.values()].flat();
    fail(
      `strace shows sockets the trace does not name:\n` +
        hidden.map((s) => `  ${s.born.line}`).join("\n"),
    );
  }
  for (const event of events) {
    if (event.call === "getaddrinfo") checkLookup(event, calls);
    if (event.call === "fork") checkNoFork(calls);
  }
  return { sockets: streams.length, matched };
}

function checkThread(
  events: readonly TraceEvent[],
  streams: readonly Stream[],
  calls: readonly Syscall[],
): number {
  const ids = [...new Set(events.flatMap((e) => e.socket ? [e.socket] : []))]
    .sort((a, b) => a - b);
  // Sockets that failed at socket() have no stream; only events with a
  // socket that strace saw made count.
  const made = ids.filter((id) =>
    !events.some((e) =>
      e.socket === id && e.call === "socket" && e.result === -1
    )
  );
  if (made.length !== streams.length) {
    fail(
      `the trace names ${made.length} sockets, strace shows ${streams.length} of the program's own:\n` +
        streams.map((s) => `  ${s.born.line}`).join("\n"),
    );
  }
  const streamOf = new Map<number, Stream>();
  made.forEach((id, i) => streamOf.set(id, streams[i]!));

  // What each socket's calls should be, in the order the trace gave them.
  const expected = new Map<Stream, Expected[]>();
  for (const stream of streams) expected.set(stream, []);
  const byInode = new Map(streams.map((s) => [s.inode, s]));
  for (const event of events) {
    if (event.skipped !== undefined || event.socket === undefined) continue;
    if (event.call === "socket" && event.result === -1) {
      if (!calls.some((c) => c.name === "socket" && c.errno === event.errno)) {
        fail(
          `no socket() = -1 ${event.errno} in strace for ${describe(event)}`,
        );
      }
      continue;
    }
    const stream = streamOf.get(event.socket)!;
    const steps = expand(event);
    if (event.call === "accept" && event.result !== -1) {
      // accept4() is a call on the listening socket (strace says which);
      // what follows it is on the new one.
      const born = stream.born;
      const listener = born.inode === undefined
        ? undefined
        : byInode.get(born.inode);
      if (born.name !== "accept4" && born.name !== "accept" || !listener) {
        fail(`socket ${event.socket} was made by ${born.line}, not accept()`);
      }
      const [first, ...rest] = steps;
      expected.get(listener)!.push(first!);
      expected.get(stream)!.push(...rest);
      continue;
    }
    expected.get(stream)!.push(...steps);
  }

  let matched = 0;
  for (const stream of streams) {
    const want = expected.get(stream)!;
    let next = 0;
    for (const call of stream.calls) {
      const step = want[next];
      // A call that found nothing to do is the runtime polling, not a step.
      if (
        call.errno === "EAGAIN" &&
        (step === undefined || step.name !== call.name ||
          step.event.errno !== "EAGAIN")
      ) continue;
      if (step === undefined) {
        fail(
          `strace shows a call the trace does not name: ${call.line}`,
          stream.calls,
        );
      }
      const why = mismatch(call, step);
      if (why !== undefined) {
        fail(
          `${why}\n  trace: ${describe(step.event)}\n  strace: ${call.line}`,
          stream.calls,
        );
      }
      next++;
      matched++;
    }
    if (next < want.length) {
      fail(
        `the trace names ${want[next]!.name}() that strace does not show: ${
          describe(want[next]!.event)
        }`,
        stream.calls,
      );
    }
  }

  return matched;
}

function checkLookup(event: TraceEvent, calls: readonly Syscall[]): void {
  const read = calls.some((c) =>
    c.name === "openat" && RESOLVER_FILES.some((f) => c.args[1] === `"${f}"`)
  );
  if (event.skipped !== undefined && read) {
    fail(
      `the trace says getaddrinfo() was not called, but the resolver read its files`,
    );
  }
  if (event.skipped === undefined && !read) {
    fail(`the trace names getaddrinfo(), but no resolver file was read`);
  }
}

function checkNoFork(calls: readonly Syscall[]): void {
  for (const call of calls) {
    if (call.name === "fork" || call.name === "vfork") {
      fail(`the trace says no fork(), strace has ${call.line}`);
    }
    if (
      (call.name === "clone" || call.name === "clone3") &&
      !call.args.join(",").includes("CLONE_THREAD")
    ) fail(`the trace says no fork(), strace has ${call.line}`);
  }
}

/** A program running under strace. */
export interface Straced extends AsyncDisposable {
  /** The strace process, with the program's output captured line by line. */
  readonly process: TestProcess;
  /** Send a signal to the traced program itself (not to strace). */
  kill(signal: Deno.Signal): Promise<void>;
  /** Wait for the end: the program's exit code and its system calls. */
  finished(): Promise<{ code: number; calls: Syscall[] }>;
}

/**
 * Run `argv` under `strace -f`, with Deno's update check off (it makes a DNS
 * lookup of its own).
 */
export async function straced(
  argv: readonly string[],
  options: TestProcessOptions = {},
): Promise<Straced> {
  const dir = await Deno.makeTempDir({ prefix: "beejnet_strace_" });
  const log = `${dir}/strace.log`;
  const process = new TestProcess("strace", [
    "-f",
    "-qq",
    "-y",
    "-s",
    "64",
    "-o",
    log,
    "-e",
    `trace=${TRACED.join(",")}`,
    ...argv,
  ], { ...options, env: { DENO_NO_UPDATE_CHECK: "1", ...options.env } });
  const cleanUp = async (): Promise<void> => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // The traced program is the first thread in strace's log. (Not from
  // /proc/PID/task/PID/children: under deno test's permission flags that
  // read hangs.)
  let tracee: number | undefined;
  const traceePid = async (): Promise<number> => {
    await waitUntil(
      async () => {
        const text = await Deno.readTextFile(log).catch(() => "");
        const pid = Number(/^(\d+) /.exec(text)?.[1]);
        if (pid) tracee ??= pid;
        return tracee !== undefined;
      },
      "strace to log a call of the traced program",
      5000,
    );
    return tracee!;
  };
  return {
    process,
    async kill(signal): Promise<void> {
      Deno.kill(await traceePid(), signal);
    },
    async finished(): Promise<{ code: number; calls: Syscall[] }> {
      const code = await process.exit("the traced program to exit");
      const calls = parseStrace(await Deno.readTextFile(log));
      await cleanUp();
      return { code, calls };
    },
    async [Symbol.asyncDispose](): Promise<void> {
      // Kill the program first: strace killed alone would leave it running,
      // holding the pipes open, and the dispose would wait for ever.
      if (tracee !== undefined) {
        try {
          Deno.kill(tracee, "SIGKILL");
        } catch { /* already gone */ }
      }
      await process[Symbol.asyncDispose]();
      await cleanUp();
    },
  };
}

/** Run one of our tools from its source under strace. */
export function stracedTool(
  tool: string,
  args: readonly string[],
  options: TestProcessOptions & { permissions?: string[] } = {},
): Promise<Straced> {
  return straced([...toolCommand(tool, options.permissions), ...args], options);
}

/** The trace events among a `--json` run's lines. */
export function traceEvents(lines: readonly string[]): TraceEvent[] {
  return lines.flatMap((line) => {
    if (!line.startsWith("{")) return [];
    const value = JSON.parse(line) as { event?: string } & TraceEvent;
    if (value.event !== "trace") return [];
    const { event: _, ...fields } = value;
    return [fields as TraceEvent];
  });
}
