// Private to lib/: what each Deno call does in system calls, as trace events.
// Loaded only by lib/_tracer.ts, and only when a trace is given.
//
// This file is the one place that knows how Deno 2.9 makes the guide's calls
// on Linux; tests/trace_calls_test.ts and the tools' strace tests hold every
// sequence here against `strace -f`. What strace shows, per Deno call:
//
//   Deno.listen          socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP),
//                        [setsockopt(SO_REUSEPORT, 1)], setsockopt(SO_REUSEADDR, 1),
//                        fcntl(F_GETFL), fcntl(F_SETFL, O_RDWR|O_NONBLOCK),
//                        bind(), listen(511), getsockname(); a failed bind is
//                        followed by close(). No IPV6_V6ONLY is set, so [::]
//                        is dual-stack (net.ipv6.bindv6only is 0).
//   listener.accept()    accept4(SOCK_CLOEXEC|SOCK_NONBLOCK), getsockname(),
//                        getpeername(); accept4() may first return EAGAIN
//   Deno.connect         socket(SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP),
//                        connect() = -1 EINPROGRESS, epoll_wait(),
//                        getsockopt(SO_ERROR) = the result, then getsockname(),
//                        getpeername(); after a failure, close(). An address
//                        literal is not looked up.
//   conn.write()         sendto(fd, buf, n, MSG_NOSIGNAL, NULL, 0)
//   conn.read()          recvfrom(fd, buf, n, 0, NULL, NULL)
//   conn.close()         shutdown(SHUT_WR), close() (tokio's write half shuts
//                        down as it is dropped); a listener's close() alone
//   Deno.listenDatagram  socket(SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_UDP), bind(),
//                        fcntl() x2, setsockopt(SO_BROADCAST, 1),
//                        setsockopt(IP[V6]_MULTICAST_LOOP, 0), getsockname();
//                        a failed bind is followed by close()
//   socket.send()        sendto(fd, buf, n, MSG_NOSIGNAL, addr, len)
//   socket.receive()     recvfrom(fd, buf, n, 0, addr, len)
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
// Every event is made from what the call really did: the request it was
// given, the address Deno reports, the byte count or the error it returned.
// Only what Deno always does the same way (the options it sets, the backlog)
// is written down here, as the steps below.

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

/** One call, without the Deno call that made it and the socket. */
type Step = { call: TraceCall } & Omit<TraceEvent, "call" | "by" | keyof About>;

/**
 * The event of `step`, made by `by` on the socket of `about`, its fields in
 * the order every event has them: call, by, syscalls, socket, the rest.
 */
function event(by: string, about: About, step: Step): TraceEvent {
  const { call, syscalls, ...fields } = step;
  return {
    call,
    by,
    ...(syscalls === undefined ? {} : { syscalls }),
    ...about,
    ...fields,
  };
}

function failed(event: TraceEvent, error: unknown): TraceEvent {
  const { errno, message } = errnoOf(error);
  event.result = -1;
  if (errno !== undefined) event.errno = errno;
  event.message = message;
  return event;
}

/** A socket call's outcome: the address Deno reports, or the error. */
type Outcome = { addr: Deno.NetAddr } | { error: unknown };

function familyOf(address: string): TraceFamily {
  return ipFamily(address) === 6 ? "AF_INET6" : "AF_INET";
}

function hintFamily(family: 0 | 4 | 6): TraceFamily {
  return family === 4 ? "AF_INET" : family === 6 ? "AF_INET6" : "AF_UNSPEC";
}

/** `[::1]:3490` or `127.0.0.1:3490`: an address as the kernel has it. */
function socketAddress(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function isCancelled(error: unknown): boolean {
  return error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.BadResource;
}

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

/** What a listening socket's request says, as the trace needs it. */
interface BindRequest {
  hostname: string;
  port: number;
  reusePort?: boolean;
  /** Whether the guide's program binds too (not so a sender's port 0). */
  guideBinds?: boolean;
}

/**
 * How Deno makes a bound socket of one kind: the calls it makes around
 * `socket()`, `bind()` and `getsockname()`, which are the same every time.
 */
interface SocketKind {
  by: string;
  type: string;
  protocol: string;
  /** The calls between `socket()` and `bind()`. */
  beforeBind(request: BindRequest): Step[];
  /** The calls between `bind()` and `getsockname()`. */
  afterBind(family: TraceFamily): Step[];
  /** Why the bind differs from the guide's, if it does. */
  bindNote(request: BindRequest): string | undefined;
}

const dualStack = (request: BindRequest): string | undefined =>
  request.hostname === "::" ? NOTES.dualStack : undefined;

const STREAM: SocketKind = {
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

const DATAGRAM: SocketKind = {
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
  #lastSocket = 0;

  /** A tracer for `trace`; see {@linkcode tracerOf} for the shared one. */
  constructor(trace: Trace) {
    this.#trace = trace;
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
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen(request);
    } catch (error) {
      this.#bound(STREAM, request, { error });
      throw error;
    }
    const socket = this.#bound(STREAM, request, { addr: listener.addr });
    return this.#listener(listener, { socket, fd: "sockfd" });
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
    const traced = { ...request, guideBinds };
    let socket: Deno.DatagramConn;
    try {
      socket = Deno.listenDatagram({ ...request, transport: "udp" });
    } catch (error) {
      this.#bound(DATAGRAM, traced, { error });
      throw error;
    }
    const addr = socket.addr as Deno.NetAddr;
    const id = this.#bound(DATAGRAM, traced, { addr });
    return this.#datagramConn(socket, { socket: id, fd: "sockfd" });
  }

  /**
   * Wrap a connector so that each attempt is traced: its socket numbered as
   * it starts, its calls traced as it ends, the connection it made traced
   * from then on. With `race`, each attempt says when it started and why
   * then (RFC 8305's connection attempt delay, or the failure of the one
   * before).
   */
  connector<A extends { address: string }>(
    connect: Connector<A>,
    race: boolean,
  ): Connector<A> {
    let origin: number | undefined;
    let pending = 0;
    let previous: number | undefined;
    return async (address, port, signal) => {
      const socket = this.#nextSocket();
      const now = performance.now();
      const start = origin ??= now;
      let timing = {};
      if (race) {
        const started = round(now - start);
        const why = previous === undefined
          ? undefined
          : pending > 0
          ? `started ${
            round(now - previous)
          } ms after the attempt before, which has not answered (RFC 8305's connection attempt delay)`
          : "started as the attempt before failed (RFC 8305)";
        timing = { started, ...(why === undefined ? {} : { why }) };
      }
      previous = now;
      pending++;
      const request = (): ConnectRequest => ({
        address: address.address,
        port,
        socket,
        ...timing,
        ...(race ? { at: round(performance.now() - start) } : {}),
      });
      let conn: Deno.TcpConn;
      try {
        conn = await connect(address, port, signal);
      } catch (error) {
        pending--;
        const outcome = signal.aborted && !isPermissionError(error)
          ? { abandoned: abandonReason(signal.reason) }
          : { error };
        this.#connect(request(), outcome);
        throw error;
      }
      pending--;
      return this.#connect(request(), { conn }) ?? conn;
    };
  }

  #nextSocket(): number {
    return ++this.#lastSocket;
  }

  /**
   * The `socket()` of a call: skipped for a refused permission, failed for
   * an errno that `socket()` itself returns. Returns the socket made, or
   * `undefined` (its line is traced either way).
   */
  #socket(
    by: string,
    socket: () => number,
    fields: Omit<Step, "call">,
    outcome: Outcome | { conn: Deno.Conn } | { abandoned: string },
  ): About | undefined {
    const error = "error" in outcome ? outcome.error : undefined;
    if ("error" in outcome && isPermissionError(error)) {
      this.#trace({ call: "socket", by, skipped: NOTES.permission });
      return undefined;
    }
    const about: About = { socket: socket(), fd: "sockfd" };
    const made = event(by, about, { call: "socket", ...fields });
    if ("error" in outcome && SOCKET_ERRNOS.has(errnoOf(error).errno ?? "")) {
      this.#trace(failed(made, error));
      return undefined;
    }
    this.#trace(made);
    return about;
  }

  /**
   * The calls behind one bound socket of `kind`, from its `socket()` to
   * its `getsockname()`. Returns the socket's number, or 0 when none was
   * made.
   */
  #bound(kind: SocketKind, request: BindRequest, outcome: Outcome): number {
    const { by } = kind;
    const family = familyOf(request.hostname);
    const about = this.#socket(by, () => this.#nextSocket(), {
      family,
      type: kind.type,
      protocol: kind.protocol,
    }, outcome);
    if (about === undefined) return 0;
    const trace = (step: Step): void => this.#trace(event(by, about, step));
    kind.beforeBind(request).forEach(trace);
    const bind = event(by, about, {
      call: "bind",
      address: request.hostname,
      port: request.port,
    });
    if ("error" in outcome) {
      this.#trace(failed(bind, outcome.error));
      trace({ call: "close", note: NOTES.failedClose });
      return 0;
    }
    bind.result = 0;
    const note = kind.bindNote(request);
    if (note !== undefined) bind.note = note;
    this.#trace(bind);
    kind.afterBind(family).forEach(trace);
    trace({
      call: "getsockname",
      address: outcome.addr.hostname,
      port: outcome.addr.port,
      result: 0,
      note: NOTES.getsockname,
    });
    return about.socket;
  }

  /**
   * The calls behind one `Deno.connect`. A connection that was made is
   * returned wrapped, so that its reads and close are traced.
   */
  #connect<T extends Deno.Conn>(
    request: ConnectRequest,
    outcome: { conn: T } | { error: unknown } | { abandoned: string },
  ): T | undefined {
    const by = "Deno.connect";
    const about = this.#socket(by, () => request.socket, {
      family: familyOf(request.address),
      type: "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK",
      protocol: "IPPROTO_IP",
      ...(request.started === undefined ? {} : { at: request.started }),
      ...(request.why === undefined ? {} : { note: request.why }),
    }, outcome);
    if (about === undefined) return undefined;
    const connect: TraceEvent = {
      call: "connect",
      by,
      ...about,
      address: request.address,
      port: request.port,
      ...(request.at === undefined ? {} : { at: request.at }),
    };
    if ("conn" in outcome) {
      connect.syscalls = [
        "connect",
        "getsockopt(SO_ERROR)",
        "getsockname",
        "getpeername",
      ];
      connect.result = 0;
      connect.note = NOTES.connect;
      this.#trace(connect);
      return this.#conn(outcome.conn, about);
    }
    if ("abandoned" in outcome) {
      connect.syscalls = ["connect"];
      connect.result = -1;
      connect.errno = "EINPROGRESS";
      connect.message = "Operation now in progress";
      this.#trace(connect);
      this.#trace(event("Deno.connect (aborted)", about, {
        call: "close",
        note: `${outcome.abandoned}: ${NOTES.abandoned}`,
      }));
      return undefined;
    }
    const errno = errnoOf(outcome.error).errno;
    connect.syscalls = errno !== undefined && IMMEDIATE_CONNECT_ERRNOS.has(errno)
      ? ["connect"]
      : ["connect", "getsockopt(SO_ERROR)"];
    connect.note = NOTES.connect;
    this.#trace(failed(connect, outcome.error));
    this.#trace(event(by, about, { call: "close", note: NOTES.connectClose }));
    return undefined;
  }

  /**
   * Trace one call that `run` makes: `done`'s event when it returns, or
   * `tried` failed with its error, or `cancelled` when the socket was
   * closed under it.
   */
  async #call<R>(
    run: () => Promise<R>,
    done: (result: R) => TraceEvent,
    tried: () => TraceEvent,
    cancelled?: TraceEvent,
  ): Promise<R> {
    let result: R;
    try {
      result = await run();
    } catch (error) {
      this.#trace(
        cancelled && isCancelled(error) ? cancelled : failed(tried(), error),
      );
      throw error;
    }
    this.#trace(done(result));
    return result;
  }

  /** A listener whose accepts and close are traced. */
  #listener(listener: Deno.TcpListener, about: About): Deno.TcpListener {
    let closed = false;
    const accepting = event("listener.accept()", about, {
      call: "accept",
      syscalls: ["accept4"],
    });
    return wrap(listener, {
      accept: async (): Promise<Deno.TcpConn> => {
        let conn: Deno.TcpConn;
        try {
          conn = await listener.accept();
        } catch (error) {
          // A listener closed under its accept is not a failure of accept.
          if (!closed) this.#trace(failed({ ...accepting }, error));
          throw error;
        }
        return this.#accepted(conn);
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

  /** The calls behind one `listener.accept()` that returned `conn`. */
  #accepted<T extends Deno.Conn>(conn: T): T {
    const addr = conn.remoteAddr as Deno.NetAddr;
    const peer = socketAddress(addr.hostname, addr.port);
    const about: About = { socket: this.#nextSocket(), fd: "new_fd", peer };
    this.#trace(event("listener.accept()", about, {
      call: "accept",
      syscalls: ["accept4", "getsockname", "getpeername"],
      address: addr.hostname,
      port: addr.port,
      note: NOTES.accept,
    }));
    return this.#conn(conn, about);
  }

  /** A stream connection whose `read`, `write` and `close` are traced. */
  #conn<T extends Deno.Conn>(conn: T, about: About): T {
    return wrap(conn, {
      write: (data: Uint8Array): Promise<number> => {
        const sent = event("conn.write()", about, {
          call: "send",
          syscalls: ["sendto"],
          data,
          length: data.length,
          note: NOTES.send,
        });
        return this.#call(
          () => conn.write(data),
          (n) => ({ ...sent, result: n }),
          () => sent,
        );
      },
      read: (buffer: Uint8Array): Promise<number | null> => {
        const by = "conn.read()";
        const read = event(by, about, {
          call: "recv",
          syscalls: ["recvfrom"],
          length: buffer.length,
          note: NOTES.recv,
        });
        return this.#call(
          () => conn.read(buffer),
          (n) =>
            n === null
              ? { ...read, note: NOTES.eof, result: 0 }
              : { ...read, result: n },
          () => read,
          event(by, about, { call: "recv", skipped: NOTES.cancelled }),
        );
      },
      close: (): void => {
        conn.close();
        this.#trace(event("conn.close()", about, {
          call: "close",
          syscalls: ["shutdown(SHUT_WR)", "close"],
          note: NOTES.close,
        }));
      },
    });
  }

  /** A datagram socket whose `send`, `receive` and `close` are traced. */
  #datagramConn(socket: Deno.DatagramConn, about: About): Deno.DatagramConn {
    return wrap(socket, {
      send: (data: Uint8Array, addr: Deno.Addr): Promise<number> => {
        const to = addr as Deno.NetAddr;
        const sent = event("socket.send()", about, {
          call: "sendto",
          syscalls: ["sendto"],
          data,
          length: data.length,
          address: to.hostname,
          port: to.port,
          note: NOTES.sendto,
        });
        return this.#call(
          () => socket.send(data, addr),
          (n) => ({ ...sent, result: n }),
          () => sent,
        );
      },
      receive: (buffer?: Uint8Array): Promise<[Uint8Array, Deno.Addr]> => {
        const by = "socket.receive()";
        const call = "recvfrom";
        const syscalls = ["recvfrom"];
        return this.#call(
          () => socket.receive(buffer),
          ([data, addr]) =>
            event(by, about, {
              call,
              syscalls,
              ...(buffer ? { length: buffer.length } : {}),
              address: (addr as Deno.NetAddr).hostname,
              port: (addr as Deno.NetAddr).port,
              result: data.length,
              note: NOTES.recvfrom,
            }),
          () => event(by, about, { call, syscalls, length: buffer?.length }),
          event(by, about, { call, skipped: NOTES.cancelled }),
        );
      },
      close: (): void => {
        socket.close();
        this.#trace(event("socket.close()", about, {
          call: "close",
          note: NOTES.datagramClose,
        }));
      },
    });
  }
}

/** What one connection attempt was, as its events tell it. */
interface ConnectRequest {
  address: string;
  port: number;
  socket: number;
  /** When attempts race: when this one started, ms after the first. */
  started?: number;
  /** When attempts race: when it ended, ms after the first started. */
  at?: number;
  /** When attempts race: why it started then. */
  why?: string;
}

const tracers = new WeakMap<Trace, Tracer>();

/**
 * The tracer of `trace`: one per callback, so that the calls a program
 * makes with one callback (a lookup, then a connect) number their sockets
 * in one sequence, and another callback's start at 1 again.
 */
export function tracerOf(trace: Trace): Tracer {
  let tracer = tracers.get(trace);
  if (tracer === undefined) tracers.set(trace, tracer = new Tracer(trace));
  return tracer;
}

/**
 * A proxy of `target` with `methods` in place of its own, `close` also as
 * `Symbol.dispose`, and every other method bound to `target`.
 */
function wrap<T extends object>(
  target: T,
  methods: Record<string, unknown> & { close: () => void },
): T {
  return new Proxy(target, {
    get(target, key): unknown {
      if (key === Symbol.dispose) return methods.close;
      if (typeof key === "string" && Object.hasOwn(methods, key)) {
        return methods[key];
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
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
