// Private to lib/: what each Deno call does in system calls, as trace events.
// Loaded by tracerFor() in errors.ts, and only when a trace is given.
//
// This file is the one place that knows how Deno 2.9 makes the guide's calls
// on Linux; tests/trace_calls_test.ts and the tools' strace tests hold every
// sequence here against `strace -f`. What each Deno call makes is written
// down once, as data: LISTEN and LISTEN_DATAGRAM for the sockets that are
// bound, CONN and DATAGRAM_CONN for their reads, writes and closes. Beyond
// those, strace shows:
//
//   listener.accept()    accept4(SOCK_CLOEXEC|SOCK_NONBLOCK), getsockname(),
//                        getpeername(); accept4() may first return EAGAIN
//   Deno.connect         socket(SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP),
//                        connect() = -1 EINPROGRESS, epoll_wait(),
//                        getsockopt(SO_ERROR) = the result, then getsockname(),
//                        getpeername(); after a failure, close(). An address
//                        literal is not looked up.
//   node:dns lookup()    getaddrinfo(name, NULL, {family, SOCK_STREAM, flags 0})
//                        (hints read with gdb: the family of -4/-6 is passed,
//                        the type is always SOCK_STREAM) on a blocking-pool
//                        thread. No system call of its own: strace shows the
//                        files it reads (/etc/nsswitch.conf, /etc/host.conf,
//                        /etc/resolv.conf, /etc/hosts, two tries of nscd's
//                        socket) and, with two families, glibc's RFC 6724
//                        sort: a netlink RTM_GETADDR dump and a UDP connect()
//                        to each address that sends nothing.
//
// `deno run` itself makes a DNS lookup (dl.deno.land, the update check) unless
// DENO_NO_UPDATE_CHECK is set, and Deno.addSignalListener makes an AF_UNIX
// socketpair; neither is the program's, and the trace leaves them out.
//
// Every value in an event is the real one: the request the call was given,
// the address Deno reports, the byte count or the error it returned. Only
// what Deno does the same way every time (the options it sets, its backlog)
// comes from the tables.

import { guardTrace } from "./_callbacks.ts";
import { errnoOf } from "./_errno.ts";
import { ipFamily } from "./ip.ts";
import { isPermissionError } from "./errors.ts";
import type { Trace, TraceCall, TraceEvent, TraceFamily } from "./trace.ts";

/** The backlog Deno passes to `listen()`; the guide's `BACKLOG` is 10. */
export const DENO_BACKLOG = 511;

const NOTES = {
  lookup:
    "node:dns lookup() runs the C library's getaddrinfo() on a runtime thread: it reads /etc/nsswitch.conf and /etc/hosts, then asks DNS; it is given no port, and SOCK_STREAM whatever the socket will be (the addresses are the same)",
  lookupPermission:
    "the net permission for the name was refused before the lookup",
  sorted:
    "with two families glibc sorted the addresses (RFC 6724), probing each with a UDP connect() that sends nothing",
  permission: "the net permission was refused before any system call",
  reuseAddr: "the guide sets it too",
  reusePort:
    "not in the guide: --workers share the port, the kernel spreads connections",
  nonBlocking:
    "not in the guide: the runtime's sockets never block; it waits in epoll_wait()",
  dualStack:
    "IPV6_V6ONLY is left off: IPv4 peers reach this one socket too, as ::ffff:a.b.c.d",
  backlog:
    "the runtime's backlog; the guide's BACKLOG is 10, and the kernel caps both at net.core.somaxconn",
  getsockname: "not in the guide: Deno asks which address and port it got",
  accept:
    "accept4(SOCK_CLOEXEC|SOCK_NONBLOCK), then getsockname() and getpeername() for conn.localAddr and conn.remoteAddr",
  connect:
    "non-blocking: connect() = -1 EINPROGRESS, the runtime waits in epoll, then getsockopt(SO_ERROR) gives the result",
  connectClose:
    "Deno closes the socket of a failed attempt and reports no result",
  failedClose: "Deno closes the socket it could not bind and reports no result",
  abandoned:
    "abandoned while connect() was in progress (its EINPROGRESS is what strace shows); the socket is closed",
  send:
    "the guide passes flags 0; Deno's MSG_NOSIGNAL makes a dead peer an EPIPE error instead of the guide's SIGPIPE",
  recv:
    "recvfrom(fd, buf, len, 0, NULL, NULL), called again until the peer closes (or the byte limit); the guide reads once, MAXDATASIZE-1 bytes",
  eof: "0: the peer closed the connection",
  close:
    "conn.close() shuts down the write half, then closes; Deno reports neither result",
  datagramClose: "Deno reports no result",
  cancelled: "cancelled: the socket was closed while the read waited",
  broadcast:
    "not in the guide: the runtime allows broadcast on every UDP socket",
  multicastLoop:
    "not in the guide: Deno's loopback option (multicast sent is not looped back), off unless asked for",
  datagramBind:
    "not in the guide's talker: Deno binds every UDP socket; the guide lets sendto() pick the port",
  sendto:
    "the guide passes flags 0; Deno passes MSG_NOSIGNAL; the datagram goes whole or not at all",
  recvfrom: "recvfrom(fd, buf, len, 0, &addr, &addrlen)",
  fork: "every connection is served in this process, concurrently",
} as const;

/** Notes for the README and tests: the reasons the trace gives. */
export const TRACE_NOTES: Readonly<Record<keyof typeof NOTES, string>> = NOTES;

/** The errors a socket() call fails with; the others come from bind(). */
const SOCKET_ERRNOS = new Set([
  "EAFNOSUPPORT",
  "EPROTONOSUPPORT",
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
]);

/** Connect errors the kernel returns at once, without EINPROGRESS. */
const IMMEDIATE_CONNECT_ERRNOS = new Set([
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "EACCES",
  "EPERM",
]);

/** Which socket an event is about: its number, the guide's name, its peer. */
interface About {
  socket: number;
  fd: "sockfd" | "new_fd";
  peer?: string;
}

/** An event's own fields: all but the Deno call and the socket. */
type Fields = Omit<TraceEvent, "call" | "by" | keyof About>;

/** One call, without the Deno call that made it and the socket. */
type Step = { call: TraceCall } & Fields;

/**
 * The event of `step`, made by `by` on the socket of `about`, its fields in
 * the order every event has them: call, by, syscalls, socket, the rest.
 */
function event(by: string, about: About, step: Step): TraceEvent {
  const { call, syscalls, ...fields } = step;
  return syscalls === undefined
    ? { call, by, ...about, ...fields }
    : { call, by, syscalls, ...about, ...fields };
}

function failed<E extends Fields>(event: E, error: unknown): E {
  const { errno, message } = errnoOf(error);
  event.result = -1;
  if (errno !== undefined) event.errno = errno;
  event.message = message;
  return event;
}

function familyOf(address: string): TraceFamily {
  return ipFamily(address) === 6 ? "AF_INET6" : "AF_INET";
}

function hintFamily(family: 0 | 4 | 6): TraceFamily {
  return family === 4 ? "AF_INET" : family === 6 ? "AF_INET6" : "AF_UNSPEC";
}

// ------------------------------------------------------------ the tables

const option = (
  level: string,
  option: string,
  value: number,
  note: string,
): Step => ({ call: "setsockopt", level, option, value, result: 0, note });

const NON_BLOCKING: Step = {
  call: "fcntl",
  syscalls: ["fcntl(F_GETFL)", "fcntl(F_SETFL)"],
  command: "F_SETFL, O_RDWR|O_NONBLOCK",
  result: 0,
  note: NOTES.nonBlocking,
};

/** What a bound socket's request says, as the trace needs it. */
interface BindRequest {
  hostname: string;
  port: number;
  reusePort?: boolean;
  /** Whether the guide's program binds too (not so a sender's port 0). */
  guideBinds?: boolean;
}

/**
 * How Deno makes a bound socket of one kind: `socket()`, the calls before
 * `bind()`, `bind()`, the calls after it, `getsockname()`; a failed
 * `bind()` is followed by `close()`.
 */
interface SocketKind {
  by: string;
  type: string;
  protocol: string;
  beforeBind(request: BindRequest): Step[];
  afterBind(family: TraceFamily): Step[];
  /** Why the bind differs from the guide's, if it does. */
  bindNote(request: BindRequest): string | undefined;
}

// No IPV6_V6ONLY is set, so [::] is dual-stack (net.ipv6.bindv6only is 0).
const dualStack = (request: BindRequest): string | undefined =>
  request.hostname === "::" ? NOTES.dualStack : undefined;

const LISTEN: SocketKind = {
  by: "Deno.listen",
  type: "SOCK_STREAM|SOCK_CLOEXEC",
  protocol: "IPPROTO_TCP",
  beforeBind: (request) => [
    ...request.reusePort
      ? [option("SOL_SOCKET", "SO_REUSEPORT", 1, NOTES.reusePort)]
      : [],
    option("SOL_SOCKET", "SO_REUSEADDR", 1, NOTES.reuseAddr),
    NON_BLOCKING,
  ],
  afterBind: () => [
    { call: "listen", backlog: DENO_BACKLOG, result: 0, note: NOTES.backlog },
  ],
  bindNote: dualStack,
};

const LISTEN_DATAGRAM: SocketKind = {
  by: "Deno.listenDatagram",
  type: "SOCK_DGRAM|SOCK_CLOEXEC",
  protocol: "IPPROTO_UDP",
  beforeBind: () => [],
  afterBind: (family) => [
    NON_BLOCKING,
    option("SOL_SOCKET", "SO_BROADCAST", 1, NOTES.broadcast),
    family === "AF_INET6"
      ? option("SOL_IPV6", "IPV6_MULTICAST_LOOP", 0, NOTES.multicastLoop)
      : option("SOL_IP", "IP_MULTICAST_LOOP", 0, NOTES.multicastLoop),
  ],
  bindNote: (request) =>
    request.guideBinds ? dualStack(request) : NOTES.datagramBind,
};

/** A bound socket's outcome: the address Deno reports, or the error. */
type Outcome = { addr: Deno.NetAddr } | { error: unknown };

/** The `socket()` of a bound socket of `kind`. */
function socketStep(kind: SocketKind, request: BindRequest): Step {
  const family = familyOf(request.hostname);
  return { call: "socket", family, type: kind.type, protocol: kind.protocol };
}

/**
 * The calls behind one bound socket of `kind`: all of them, or up to the
 * `bind()` that failed and the `close()` after it.
 */
function boundSteps(
  kind: SocketKind,
  request: BindRequest,
  outcome: Outcome,
): Step[] {
  const family = familyOf(request.hostname);
  const bind: Step = {
    call: "bind",
    address: request.hostname,
    port: request.port,
  };
  const note = kind.bindNote(request);
  const end: Step[] = "error" in outcome
    ? [failed(bind, outcome.error), { call: "close", note: NOTES.failedClose }]
    : [
      { ...bind, result: 0, ...(note === undefined ? {} : { note }) },
      ...kind.afterBind(family),
      {
        call: "getsockname",
        address: outcome.addr.hostname,
        port: outcome.addr.port,
        result: 0,
        note: NOTES.getsockname,
      },
    ];
  return [socketStep(kind, request), ...kind.beforeBind(request), ...end];
}

/**
 * One traced method of a socket: its event made from its arguments before
 * it runs, completed with what it returned, or failed with its error.
 */
interface TracedMethod {
  start(...args: unknown[]): Step;
  end(result: unknown): Fields;
  /** A read, traced as skipped when a close cancelled it. */
  reads?: boolean;
}

/** How one kind of socket's methods are traced, `close` among them. */
interface SocketMethods {
  /** What the guide calls the socket in `by`: `conn.write()`. */
  name: string;
  methods: Readonly<Record<string, TracedMethod>>;
  close: Step;
}

const sent = (n: number): Fields => ({ result: n });

// conn.write(): sendto(fd, buf, n, MSG_NOSIGNAL, NULL, 0); conn.read():
// recvfrom(fd, buf, n, 0, NULL, NULL); conn.close(): shutdown(SHUT_WR), then
// close() (tokio's write half shuts down as it is dropped).
const CONN: SocketMethods = {
  name: "conn",
  methods: {
    write: {
      start: (data: Uint8Array) => ({
        call: "send",
        syscalls: ["sendto"],
        data,
        length: data.length,
        note: NOTES.send,
      }),
      end: sent,
    },
    read: {
      start: (buffer: Uint8Array) => ({
        call: "recv",
        syscalls: ["recvfrom"],
        length: buffer.length,
        note: NOTES.recv,
      }),
      end: (n: number | null) =>
        n === null ? { note: NOTES.eof, result: 0 } : { result: n },
      reads: true,
    },
  },
  close: {
    call: "close",
    syscalls: ["shutdown(SHUT_WR)", "close"],
    note: NOTES.close,
  },
};

// socket.send(): sendto(fd, buf, n, MSG_NOSIGNAL, addr, len);
// socket.receive(): recvfrom(fd, buf, n, 0, addr, len).
const DATAGRAM_CONN: SocketMethods = {
  name: "socket",
  methods: {
    send: {
      start: (data: Uint8Array, to: Deno.NetAddr) => ({
        call: "sendto",
        syscalls: ["sendto"],
        data,
        length: data.length,
        address: to.hostname,
        port: to.port,
        note: NOTES.sendto,
      }),
      end: sent,
    },
    receive: {
      start: (buffer?: Uint8Array) => ({
        call: "recvfrom",
        syscalls: ["recvfrom"],
        ...(buffer ? { length: buffer.length } : {}),
      }),
      end: ([data, from]: [Uint8Array, Deno.NetAddr]) => ({
        address: from.hostname,
        port: from.port,
        result: data.length,
        note: NOTES.recvfrom,
      }),
      reads: true,
    },
  },
  close: { call: "close", note: NOTES.datagramClose },
};

/**
 * How a `Deno.connect` ends, as its `connect()` line has it: the system
 * calls behind it, and what Deno always reports (a failure's own errno is
 * added from the error).
 */
const CONNECT_ENDS = {
  connected: {
    syscalls: ["connect", "getsockopt(SO_ERROR)", "getsockname", "getpeername"],
    result: 0,
    note: NOTES.connect,
  },
  /** Abandoned while in progress: strace's EINPROGRESS, then a close. */
  abandoned: {
    syscalls: ["connect"],
    result: -1,
    errno: "EINPROGRESS",
    message: "Operation now in progress",
  },
  /** Refused by the kernel at once (IMMEDIATE_CONNECT_ERRNOS). */
  refused: { syscalls: ["connect"], note: NOTES.connect },
  failed: {
    syscalls: ["connect", "getsockopt(SO_ERROR)"],
    note: NOTES.connect,
  },
} as const satisfies Record<string, Fields>;

// ------------------------------------------------------------ the tracer

/** Makes one connection, as `connectFirst`'s `connect` option does. */
export type Connector<A extends { address: string }> = (
  address: A,
  port: number,
  signal: AbortSignal,
) => Promise<Deno.TcpConn>;

/** What a `getaddrinfo()` that is not made would have been asked. */
export interface LookupHints {
  host: string | null;
  service: string | null;
  family: 0 | 4 | 6;
  type: string;
  passive?: boolean;
}

/** The outcome of a `node:dns` lookup. */
export type LookupOutcome =
  | { addresses: readonly { address: string; family: number }[] }
  | { code: string; error: unknown }
  | { refused: true };

/**
 * The calls of one trace callback: each method makes or records one call of
 * the guide and hands the callback its events. The sockets are numbered per
 * tracer, so per callback, from 1.
 */
export class Tracer {
  readonly #trace: Trace;
  readonly #count: { last: number };

  /**
   * A tracer for `trace`; {@linkcode tracerOf} gives the shared one.
   *
   * @param count The socket counter, shared by the tracers of one callback.
   */
  constructor(trace: Trace, count: { last: number } = { last: 0 }) {
    this.#trace = trace;
    this.#count = count;
  }

  /** A `getaddrinfo()` that is not needed: nothing to look up. */
  skippedLookup(hints: LookupHints, reason: string): void {
    this.#trace({
      call: "getaddrinfo",
      host: hints.host,
      service: hints.service,
      family: hintFamily(hints.family),
      type: hints.type,
      ...(hints.passive ? { flags: "AI_PASSIVE" } : {}),
      skipped: reason,
    });
  }

  /** A `getaddrinfo()` made through `node:dns`. */
  lookup(
    request: { host: string; family: 0 | 4 | 6 },
    outcome: LookupOutcome,
  ): void {
    const lookup: TraceEvent = {
      call: "getaddrinfo",
      by: "node:dns lookup()",
      host: request.host,
      service: null,
      family: hintFamily(request.family),
      type: "SOCK_STREAM",
    };
    if ("refused" in outcome) {
      lookup.skipped = NOTES.lookupPermission;
    } else if ("addresses" in outcome) {
      lookup.result = 0;
      lookup.addresses = outcome.addresses.map((a) => a.address);
      const sorted = new Set(outcome.addresses.map((a) => a.family)).size > 1;
      lookup.note = sorted ? `${NOTES.lookup}; ${NOTES.sorted}` : NOTES.lookup;
    } else {
      lookup.errno = outcome.code;
      lookup.message = outcome.error instanceof Error
        ? outcome.error.message
        : String(outcome.error);
      lookup.note = NOTES.lookup;
    }
    this.#trace(lookup);
  }

  /** That the guide's `fork()` has no counterpart here. */
  noFork(): void {
    this.#trace({ call: "fork", skipped: NOTES.fork });
  }

  /**
   * `Deno.listen(request)`, traced: its calls, then the listener's accepts
   * (each connection traced from then on) and its close.
   */
  listen(
    request: { hostname: string; port: number; reusePort?: boolean },
  ): Deno.TcpListener {
    const [listener, about] = this.#open(
      LISTEN,
      request,
      () => Deno.listen(request),
    );
    const by = "listener.accept()";
    let closed = false;
    const accept = async (): Promise<Deno.TcpConn> => {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        // A listener closed under its accept is not a failure of accept.
        const step: Step = { call: "accept", syscalls: ["accept4"] };
        if (!closed) this.#trace(failed(event(by, about, step), error));
        throw error;
      }
      const addr = conn.remoteAddr;
      const peer = addr.hostname.includes(":")
        ? `[${addr.hostname}]:${addr.port}`
        : `${addr.hostname}:${addr.port}`;
      const accepted: About = { socket: this.#next(), fd: "new_fd", peer };
      return closing(conn, () => {
        this.#trace(event(by, accepted, {
          call: "accept",
          syscalls: ["accept4", "getsockname", "getpeername"],
          address: addr.hostname,
          port: addr.port,
          note: NOTES.accept,
        }));
        return this.#traced(conn, accepted, CONN);
      });
    };
    return wrap(listener, {
      accept,
      // As Deno's own: the accepts until the listener is closed.
      [Symbol.asyncIterator]: async function* (): AsyncGenerator<Deno.TcpConn> {
        while (true) {
          try {
            yield await accept();
          } catch (error) {
            if (isCancelled(error)) return;
            throw error;
          }
        }
      },
      close: (): void => {
        listener.close();
        closed = true;
        this.#trace(event("listener.close()", about, {
          call: "close",
          note: NOTES.datagramClose,
        }));
      },
    });
  }

  /**
   * `Deno.listenDatagram(request)`, traced: its calls, then the socket's
   * sends, receives and close. `guideBinds`: whether the guide's program
   * binds here too (listener) or only the runtime does (a sender's port 0).
   */
  listenDatagram(
    request: { hostname: string; port: number },
    guideBinds: boolean,
  ): Deno.DatagramConn {
    const [socket, about] = this.#open(
      LISTEN_DATAGRAM,
      { ...request, guideBinds },
      () => Deno.listenDatagram({ ...request, transport: "udp" }),
    );
    return this.#traced(socket, about, DATAGRAM_CONN);
  }

  /**
   * Wrap a connector so that each attempt is traced: its socket numbered as
   * it starts, its calls traced as it ends, the connection it made traced
   * from then on. With `race`, each attempt says when it started and why
   * then (RFC 8305's connection attempt delay, or the failure of the one
   * before), and its `connect()` when it ended.
   */
  connector<A extends { address: string }>(
    connect: Connector<A>,
    race: boolean,
  ): Connector<A> {
    const by = "Deno.connect";
    let origin: number | undefined;
    let pending = 0;
    let previous: number | undefined;
    return async (address, port, signal) => {
      const about: About = { socket: this.#next(), fd: "sockfd" };
      const now = performance.now();
      const start = origin ??= now;
      const made: Step = {
        call: "socket",
        family: familyOf(address.address),
        type: "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK",
        protocol: "IPPROTO_IP",
      };
      if (race) made.at = round(now - start);
      if (race && previous !== undefined) {
        made.note = pending > 0
          ? `started ${
            round(now - previous)
          } ms after the attempt before, which has not answered (RFC 8305's connection attempt delay)`
          : "started as the attempt before failed (RFC 8305)";
      }
      previous = now;
      pending++;
      // The socket() line, then the connect() line's start, at its end.
      const connected = (fields: Fields): TraceEvent => {
        this.#trace(event(by, about, made));
        return {
          call: "connect",
          by,
          ...about,
          address: address.address,
          port,
          ...(race ? { at: round(performance.now() - start) } : {}),
          ...fields,
        };
      };
      let conn: Deno.TcpConn;
      try {
        conn = await connect(address, port, signal);
      } catch (error) {
        pending--;
        if (signal.aborted && !isPermissionError(error)) {
          this.#trace(connected(CONNECT_ENDS.abandoned));
          this.#trace(event(`${by} (aborted)`, about, {
            call: "close",
            note: `${abandonReason(signal.reason)}: ${NOTES.abandoned}`,
          }));
        } else if (!this.#socketFailed(by, () => about.socket, made, error)) {
          const errno = errnoOf(error).errno ?? "";
          const end = IMMEDIATE_CONNECT_ERRNOS.has(errno)
            ? "refused"
            : "failed";
          this.#trace(failed(connected(CONNECT_ENDS[end]), error));
          this.#trace(
            event(by, about, { call: "close", note: NOTES.connectClose }),
          );
        }
        throw error;
      }
      pending--;
      return closing(conn, () => {
        this.#trace(connected(CONNECT_ENDS.connected));
        return this.#traced(conn, about, CONN);
      });
    };
  }

  #next(): number {
    return ++this.#count.last;
  }

  /** The socket counter, for another tracer of the same callback. */
  get count(): { last: number } {
    return this.#count;
  }

  /**
   * The `socket()` line of a call that failed with `error`, when it failed
   * there: skipped for a refused permission, failed for an errno that
   * `socket()` itself returns. Returns whether it did.
   */
  #socketFailed(
    by: string,
    socket: () => number,
    made: Step,
    error: unknown,
  ): boolean {
    if (isPermissionError(error)) {
      this.#trace({ call: "socket", by, skipped: NOTES.permission });
      return true;
    }
    if (!SOCKET_ERRNOS.has(errnoOf(error).errno ?? "")) return false;
    const about: About = { socket: socket(), fd: "sockfd" };
    this.#trace(failed(event(by, about, made), error));
    return true;
  }

  /**
   * `open(request)`, a socket of `kind`, traced from its `socket()` to its
   * `getsockname()`, or to the failure it threw.
   */
  #open<T extends { addr: Deno.Addr; close(): void }>(
    kind: SocketKind,
    request: BindRequest,
    open: (request: BindRequest) => T,
  ): [T, About] {
    const trace = (about: About, steps: Step[]): void => {
      for (const step of steps) this.#trace(event(kind.by, about, step));
    };
    let socket: T;
    try {
      socket = open(request);
    } catch (error) {
      const made = socketStep(kind, request);
      if (!this.#socketFailed(kind.by, () => this.#next(), made, error)) {
        const about: About = { socket: this.#next(), fd: "sockfd" };
        trace(about, boundSteps(kind, request, { error }));
      }
      throw error;
    }
    const about: About = { socket: this.#next(), fd: "sockfd" };
    const addr = socket.addr as Deno.NetAddr;
    closing(socket, () => trace(about, boundSteps(kind, request, { addr })));
    return [socket, about];
  }

  /** `socket` with the methods of `traced` traced, `close` among them. */
  #traced<T extends { close(): void }>(
    socket: T,
    about: About,
    traced: SocketMethods,
  ): T {
    const methods: Record<string, unknown> = {};
    const own = socket as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    for (const [name, method] of Object.entries(traced.methods)) {
      const by = `${traced.name}.${name}()`;
      methods[name] = async (...args: unknown[]): Promise<unknown> => {
        const started = event(by, about, method.start(...args));
        let result: unknown;
        try {
          result = await own[name]!.apply(socket, args);
        } catch (error) {
          this.#trace(
            method.reads && isCancelled(error)
              ? event(by, about, {
                call: started.call,
                skipped: NOTES.cancelled,
              })
              : failed(started, error),
          );
          throw error;
        }
        this.#trace({ ...started, ...method.end(result) });
        return result;
      };
    }
    return wrap(socket, {
      ...methods,
      close: (): void => {
        socket.close();
        this.#trace(event(`${traced.name}.close()`, about, traced.close));
      },
    });
  }
}

const tracers = new WeakMap<Trace, Tracer>();

/**
 * The tracer of `trace`: one per callback, so that the calls a program
 * makes with one callback (a lookup, then a connect) number their sockets
 * in one sequence, and another callback's start at 1 again.
 */
export function tracerOf(
  trace: Trace,
  onError?: (error: unknown) => void,
): Tracer {
  let tracer = tracers.get(trace);
  if (tracer === undefined) tracers.set(trace, tracer = new Tracer(trace));
  // With an error sink, a tracer of its own that numbers in the same
  // sequence: the callback's throw or rejection goes to `onError`.
  return onError
    ? new Tracer(guardTrace(trace, onError), tracer.count)
    : tracer;
}

/**
 * `trace()` with `socket` open: when it throws (a trace callback is the
 * user's code), the socket is closed, not left open, and the error goes on.
 */
function closing<R>(socket: { close(): void }, trace: () => R): R {
  try {
    return trace();
  } catch (error) {
    try {
      socket.close();
    } catch { /* already closed */ }
    throw error;
  }
}

/**
 * A proxy of `target` with `methods` in place of its own, `close` also as
 * `Symbol.dispose`, and every other method bound to `target`.
 */
function wrap<T extends object>(
  target: T,
  methods: Record<PropertyKey, unknown> & { close: () => void },
): T {
  return new Proxy(target, {
    get(target, key): unknown {
      if (key === Symbol.dispose) return methods.close;
      if (Object.hasOwn(methods, key)) return methods[key];
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function isCancelled(error: unknown): boolean {
  return error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.BadResource;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function abandonReason(reason: unknown): string {
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return "timed out";
  }
  if (!(reason instanceof Error)) return "aborted";
  return reason.message.charAt(0).toLowerCase() + reason.message.slice(1);
}
