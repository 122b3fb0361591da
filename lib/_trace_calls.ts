// Private to lib/: what each Deno call does in system calls, as trace events.
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

import { errnoOf } from "./_errno.ts";
import { ipFamily } from "./ip.ts";
import { isPermissionError } from "./errors.ts";
import type { Trace, TraceEvent, TraceFamily } from "./trace.ts";

/** The backlog Deno passes to `listen()`; the guide's `BACKLOG` is 10. */
export const DENO_BACKLOG = 511;

let lastSocket = 0;

/** Number the next socket the trace meets. */
export function nextSocket(): number {
  return ++lastSocket;
}

/** `[::1]:3490` or `127.0.0.1:3490`: an address as the kernel has it. */
export function socketAddress(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function familyOf(address: string): TraceFamily {
  return ipFamily(address) === 6 ? "AF_INET6" : "AF_INET";
}

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

function failed(event: TraceEvent, error: unknown): TraceEvent {
  const { errno, message } = errnoOf(error);
  event.result = -1;
  if (errno !== undefined) event.errno = errno;
  event.message = message;
  return event;
}

/** A getaddrinfo() that is not needed: nothing to look up. */
export function traceLookupSkipped(
  trace: Trace,
  call: {
    host: string | null;
    service: string | null;
    family: 0 | 4 | 6;
    type: string;
    passive?: boolean;
  },
  reason: string,
): void {
  trace({
    call: "getaddrinfo",
    host: call.host,
    service: call.service,
    family: hintFamily(call.family),
    type: call.type,
    ...(call.passive ? { flags: "AI_PASSIVE" } : {}),
    skipped: reason,
  });
}

function hintFamily(family: 0 | 4 | 6): TraceFamily {
  return family === 4 ? "AF_INET" : family === 6 ? "AF_INET6" : "AF_UNSPEC";
}

/** A getaddrinfo() made through node:dns. */
export function traceLookup(
  trace: Trace,
  request: { host: string; family: 0 | 4 | 6 },
  outcome:
    | { addresses: readonly { address: string; family: number }[] }
    | { code: string; error: unknown }
    | { refused: true },
): void {
  const event: TraceEvent = {
    call: "getaddrinfo",
    by: "node:dns lookup()",
    host: request.host,
    service: null,
    family: hintFamily(request.family),
    type: "SOCK_STREAM",
  };
  if ("refused" in outcome) {
    event.skipped = NOTES.lookupPermission;
    trace(event);
    return;
  }
  let note: string = NOTES.lookup;
  if ("addresses" in outcome) {
    event.result = 0;
    event.addresses = outcome.addresses.map((a) => a.address);
    if (new Set(outcome.addresses.map((a) => a.family)).size > 1) {
      note += `; ${NOTES.sorted}`;
    }
  } else {
    event.errno = outcome.code;
    event.message = outcome.error instanceof Error
      ? outcome.error.message
      : String(outcome.error);
  }
  event.note = note;
  trace(event);
}

/**
 * The `socket()` behind a listen call: skipped for a refused permission,
 * failed for an errno that `socket()` itself returns. Returns the socket's
 * number, or 0 when no socket was made (its line is traced either way).
 */
function traceSocket(
  trace: Trace,
  by: string,
  family: TraceFamily,
  type: string,
  protocol: string,
  outcome: { addr: Deno.NetAddr } | { error: unknown },
): number {
  if ("error" in outcome && isPermissionError(outcome.error)) {
    trace({ call: "socket", by, skipped: NOTES.permission });
    return 0;
  }
  const socket = nextSocket();
  const made: TraceEvent = {
    call: "socket",
    by,
    socket,
    fd: "sockfd",
    family,
    type,
    protocol,
  };
  const errno = "error" in outcome ? errnoOf(outcome.error).errno : undefined;
  if ("error" in outcome && errno !== undefined && SOCKET_ERRNOS.has(errno)) {
    trace(failed(made, outcome.error));
    return 0;
  }
  trace(made);
  return socket;
}

/**
 * The calls behind one `Deno.listen`. Returns the socket's number, or 0
 * when no socket was made.
 */
export function traceListen(
  trace: Trace,
  request: { hostname: string; port: number; reusePort?: boolean },
  outcome: { addr: Deno.NetAddr } | { error: unknown },
): number {
  const by = "Deno.listen";
  const family = familyOf(request.hostname);
  const socket = traceSocket(
    trace,
    by,
    family,
    "SOCK_STREAM|SOCK_CLOEXEC",
    "IPPROTO_TCP",
    outcome,
  );
  if (socket === 0) return 0;
  const fd = "sockfd";
  if (request.reusePort) {
    trace({
      call: "setsockopt",
      by,
      socket,
      fd,
      level: "SOL_SOCKET",
      option: "SO_REUSEPORT",
      value: 1,
      result: 0,
      note: NOTES.reusePort,
    });
  }
  trace({
    call: "setsockopt",
    by,
    socket,
    fd,
    level: "SOL_SOCKET",
    option: "SO_REUSEADDR",
    value: 1,
    result: 0,
    note: NOTES.reuseAddr,
  });
  trace({
    call: "fcntl",
    by,
    syscalls: ["fcntl(F_GETFL)", "fcntl(F_SETFL)"],
    socket,
    fd,
    command: "F_SETFL, O_RDWR|O_NONBLOCK",
    result: 0,
    note: NOTES.nonBlocking,
  });
  const bind: TraceEvent = {
    call: "bind",
    by,
    socket,
    fd,
    address: request.hostname,
    port: request.port,
  };
  if ("error" in outcome) {
    trace(failed(bind, outcome.error));
    trace({ call: "close", by, socket, fd, note: NOTES.failedClose });
    return 0;
  }
  bind.result = 0;
  if (request.hostname === "::") bind.note = NOTES.dualStack;
  trace(bind);
  trace({
    call: "listen",
    by,
    socket,
    fd,
    backlog: DENO_BACKLOG,
    result: 0,
    note: NOTES.backlog,
  });
  trace({
    call: "getsockname",
    by,
    socket,
    fd,
    address: outcome.addr.hostname,
    port: outcome.addr.port,
    result: 0,
    note: NOTES.getsockname,
  });
  return socket;
}

/** The `close()` of a listening socket (`listener.close()`). */
export function traceListenerClose(
  trace: Trace,
  socket: number,
  by: string,
): void {
  trace({ call: "close", by, socket, fd: "sockfd", note: NOTES.datagramClose });
}

/** That the guide's `fork()` has no counterpart here. */
export function traceNoFork(trace: Trace): void {
  trace({ call: "fork", skipped: NOTES.fork });
}

/**
 * The calls behind one `listener.accept()` that returned `conn`, which is
 * then wrapped so that its reads, writes and close are traced too.
 */
export function traceAccept(trace: Trace, conn: Deno.Conn): Deno.Conn {
  const addr = conn.remoteAddr as Deno.NetAddr;
  const socket = nextSocket();
  const peer = socketAddress(addr.hostname, addr.port);
  trace({
    call: "accept",
    by: "listener.accept()",
    syscalls: ["accept4", "getsockname", "getpeername"],
    socket,
    fd: "new_fd",
    peer,
    address: addr.hostname,
    port: addr.port,
    note: NOTES.accept,
  });
  return tracedConn(conn, trace, socket, "new_fd", peer);
}

/** A `listener.accept()` that failed. */
export function traceAcceptError(
  trace: Trace,
  socket: number,
  error: unknown,
): void {
  trace(failed({
    call: "accept",
    by: "listener.accept()",
    syscalls: ["accept4"],
    socket,
    fd: "sockfd",
  }, error));
}

/**
 * The calls behind one `Deno.connect` to `address`. A connection that was
 * made is returned wrapped, so that its reads and close are traced.
 */
export function traceConnect<T extends Deno.Conn>(
  trace: Trace,
  request: {
    address: string;
    port: number;
    socket: number;
    /** When attempts race: when this one started, ms after the first. */
    started?: number;
    /** When attempts race: when it ended, ms after the first started. */
    at?: number;
    /** When attempts race: why it started then. */
    why?: string;
  },
  outcome: { conn: T } | { error: unknown } | { abandoned: string },
): T | undefined {
  const by = "Deno.connect";
  if ("error" in outcome && isPermissionError(outcome.error)) {
    trace({ call: "socket", by, skipped: NOTES.permission });
    return undefined;
  }
  const { socket } = request;
  const fd = "sockfd";
  const at = request.at === undefined ? {} : { at: request.at };
  const made: TraceEvent = {
    call: "socket",
    by,
    socket,
    fd,
    family: familyOf(request.address),
    type: "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK",
    protocol: "IPPROTO_IP",
    ...(request.started === undefined ? {} : { at: request.started }),
    ...(request.why === undefined ? {} : { note: request.why }),
  };
  const errno = "error" in outcome ? errnoOf(outcome.error).errno : undefined;
  if ("error" in outcome && errno !== undefined && SOCKET_ERRNOS.has(errno)) {
    trace(failed(made, outcome.error));
    return undefined;
  }
  trace(made);
  const connect: TraceEvent = {
    call: "connect",
    by,
    socket,
    fd,
    address: request.address,
    port: request.port,
    ...at,
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
    trace(connect);
    return tracedConn(outcome.conn, trace, socket, fd, undefined);
  }
  if ("abandoned" in outcome) {
    connect.syscalls = ["connect"];
    connect.result = -1;
    connect.errno = "EINPROGRESS";
    connect.message = "Operation now in progress";
    trace(connect);
    trace({
      call: "close",
      by: "Deno.connect (aborted)",
      socket,
      fd,
      note: `${outcome.abandoned}: ${NOTES.abandoned}`,
    });
    return undefined;
  }
  connect.syscalls = errno !== undefined && IMMEDIATE_CONNECT_ERRNOS.has(errno)
    ? ["connect"]
    : ["connect", "getsockopt(SO_ERROR)"];
  connect.note = NOTES.connect;
  trace(failed(connect, outcome.error));
  trace({
    call: "close",
    by,
    socket,
    fd,
    note: NOTES.connectClose,
  });
  return undefined;
}

/** Makes one connection, as `connectFirst`'s `connect` option does. */
export type Connector<A extends { address: string }> = (
  address: A,
  port: number,
  signal: AbortSignal,
) => Promise<Deno.TcpConn>;

/**
 * Wrap a connector so that each attempt is traced: its socket numbered as
 * it starts, its calls traced as it ends. With `race`, each attempt says
 * when it started and why then (RFC 8305's connection attempt delay, or the
 * failure of the one before).
 */
export function tracedConnector<A extends { address: string }>(
  trace: Trace,
  connect: Connector<A>,
  race: boolean,
): Connector<A> {
  let origin: number | undefined;
  let pending = 0;
  let previous: number | undefined;
  return async (address, port, signal) => {
    const socket = nextSocket();
    const now = performance.now();
    origin ??= now;
    let timing = {};
    if (race) {
      const started = round(now - origin);
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
    const request = { address: address.address, port, socket, ...timing };
    const end = (): { at?: number } =>
      race ? { at: round(performance.now() - origin!) } : {};
    try {
      const conn = await connect(address, port, signal);
      pending--;
      return traceConnect(trace, { ...request, ...end() }, { conn })!;
    } catch (error) {
      pending--;
      const outcome = signal.aborted && !isPermissionError(error)
        ? { abandoned: abandonReason(signal.reason) }
        : { error };
      traceConnect(trace, { ...request, ...end() }, outcome);
      throw error;
    }
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function abandonReason(reason: unknown): string {
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return "timed out";
  }
  return reason instanceof Error ? lowerFirst(reason.message) : "aborted";
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Wrap a stream connection so that `read`, `write` and `close` are traced. */
function tracedConn<T extends Deno.Conn>(
  conn: T,
  trace: Trace,
  socket: number,
  fd: "sockfd" | "new_fd",
  peer: string | undefined,
): T {
  const about = peer === undefined ? { socket, fd } : { socket, fd, peer };
  const write = async (data: Uint8Array): Promise<number> => {
    const event: TraceEvent = {
      call: "send",
      by: "conn.write()",
      syscalls: ["sendto"],
      ...about,
      data,
      length: data.length,
      note: NOTES.send,
    };
    try {
      event.result = await conn.write(data);
    } catch (error) {
      trace(failed(event, error));
      throw error;
    }
    trace(event);
    return event.result;
  };
  const read = async (buffer: Uint8Array): Promise<number | null> => {
    const event: TraceEvent = {
      call: "recv",
      by: "conn.read()",
      syscalls: ["recvfrom"],
      ...about,
      length: buffer.length,
      note: NOTES.recv,
    };
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      if (
        error instanceof Deno.errors.Interrupted ||
        error instanceof Deno.errors.BadResource
      ) {
        trace({
          call: "recv",
          by: "conn.read()",
          ...about,
          skipped: NOTES.cancelled,
        });
      } else {
        trace(failed(event, error));
      }
      throw error;
    }
    event.result = n ?? 0;
    if (n === null) event.note = NOTES.eof;
    trace(event);
    return n;
  };
  const close = (): void => {
    conn.close();
    trace({
      call: "close",
      by: "conn.close()",
      syscalls: ["shutdown(SHUT_WR)", "close"],
      ...about,
      note: NOTES.close,
    });
  };
  return new Proxy(conn, {
    get(target, key): unknown {
      if (key === "write") return write;
      if (key === "read") return read;
      if (key === "close" || key === Symbol.dispose) return close;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * The calls behind one `Deno.listenDatagram`. Returns the socket's number,
 * or 0 when no socket was made.
 */
export function traceListenDatagram(
  trace: Trace,
  request: { hostname: string; port: number; guideBinds: boolean },
  outcome: { addr: Deno.NetAddr } | { error: unknown },
): number {
  const by = "Deno.listenDatagram";
  const family = familyOf(request.hostname);
  const socket = traceSocket(
    trace,
    by,
    family,
    "SOCK_DGRAM|SOCK_CLOEXEC",
    "IPPROTO_UDP",
    outcome,
  );
  if (socket === 0) return 0;
  const fd = "sockfd";
  const bind: TraceEvent = {
    call: "bind",
    by,
    socket,
    fd,
    address: request.hostname,
    port: request.port,
  };
  if ("error" in outcome) {
    trace(failed(bind, outcome.error));
    trace({ call: "close", by, socket, fd, note: NOTES.failedClose });
    return 0;
  }
  bind.result = 0;
  if (!request.guideBinds) bind.note = NOTES.datagramBind;
  else if (request.hostname === "::") bind.note = NOTES.dualStack;
  trace(bind);
  trace({
    call: "fcntl",
    by,
    syscalls: ["fcntl(F_GETFL)", "fcntl(F_SETFL)"],
    socket,
    fd,
    command: "F_SETFL, O_RDWR|O_NONBLOCK",
    result: 0,
    note: NOTES.nonBlocking,
  });
  trace({
    call: "setsockopt",
    by,
    socket,
    fd,
    level: "SOL_SOCKET",
    option: "SO_BROADCAST",
    value: 1,
    result: 0,
    note: NOTES.broadcast,
  });
  trace({
    call: "setsockopt",
    by,
    socket,
    fd,
    level: family === "AF_INET6" ? "SOL_IPV6" : "SOL_IP",
    option: family === "AF_INET6" ? "IPV6_MULTICAST_LOOP" : "IP_MULTICAST_LOOP",
    value: 0,
    result: 0,
    note: NOTES.multicastLoop,
  });
  trace({
    call: "getsockname",
    by,
    socket,
    fd,
    address: outcome.addr.hostname,
    port: outcome.addr.port,
    result: 0,
    note: NOTES.getsockname,
  });
  return socket;
}

/**
 * `Deno.listenDatagram(request)` with its `socket()` and `bind()` traced,
 * and the socket's sends and receives traced from then on. `guideBinds`:
 * whether the guide's program binds here too (listener) or only the
 * runtime does (a sender's port 0).
 */
export function tracedListenDatagram(
  trace: Trace,
  request: { hostname: string; port: number },
  guideBinds: boolean,
): Deno.DatagramConn {
  const traced = { ...request, guideBinds };
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ ...request, transport: "udp" });
  } catch (error) {
    traceListenDatagram(trace, traced, { error });
    throw error;
  }
  const addr = socket.addr as Deno.NetAddr;
  const id = traceListenDatagram(trace, traced, { addr });
  return traceDatagramConn(socket, trace, id);
}

/** Wrap a datagram socket so that `send`, `receive` and `close` are traced. */
export function traceDatagramConn(
  conn: Deno.DatagramConn,
  trace: Trace,
  socket: number,
): Deno.DatagramConn {
  const about = { socket, fd: "sockfd" } as const;
  const send = async (data: Uint8Array, addr: Deno.Addr): Promise<number> => {
    const to = addr as Deno.NetAddr;
    const event: TraceEvent = {
      call: "sendto",
      by: "socket.send()",
      syscalls: ["sendto"],
      ...about,
      data,
      length: data.length,
      address: to.hostname,
      port: to.port,
      note: NOTES.sendto,
    };
    try {
      event.result = await conn.send(data, addr);
    } catch (error) {
      trace(failed(event, error));
      throw error;
    }
    trace(event);
    return event.result;
  };
  const receive = async (
    buffer?: Uint8Array,
  ): Promise<[Uint8Array, Deno.Addr]> => {
    let received: [Uint8Array, Deno.Addr];
    try {
      received = await conn.receive(buffer);
    } catch (error) {
      if (
        error instanceof Deno.errors.Interrupted ||
        error instanceof Deno.errors.BadResource
      ) {
        trace({
          call: "recvfrom",
          by: "socket.receive()",
          ...about,
          skipped: NOTES.cancelled,
        });
      } else {
        trace(failed({
          call: "recvfrom",
          by: "socket.receive()",
          syscalls: ["recvfrom"],
          ...about,
          length: buffer?.length,
        }, error));
      }
      throw error;
    }
    const from = received[1] as Deno.NetAddr;
    trace({
      call: "recvfrom",
      by: "socket.receive()",
      syscalls: ["recvfrom"],
      ...about,
      ...(buffer ? { length: buffer.length } : {}),
      address: from.hostname,
      port: from.port,
      result: received[0].length,
      note: NOTES.recvfrom,
    });
    return received;
  };
  const close = (): void => {
    conn.close();
    trace({
      call: "close",
      by: "socket.close()",
      ...about,
      note: NOTES.datagramClose,
    });
  };
  return new Proxy(conn, {
    get(target, key): unknown {
      if (key === "send") return send;
      if (key === "receive") return receive;
      if (key === "close" || key === Symbol.dispose) return close;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
