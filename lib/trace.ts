/**
 * The socket calls of Beej's guide as Deno really makes them: the types of
 * the `trace` option that {@linkcode Trace} explains.
 *
 * @example Collect the events
 * ```ts
 * import { resolve, type TraceEvent } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const events: TraceEvent[] = [];
 * await resolve("::1", { trace: (event) => events.push(event) });
 * assertEquals(events[0]?.skipped, "an address needs no lookup");
 * ```
 *
 * @module
 */

/** A call of the guide, or one the runtime makes that the guide does not. */
export type TraceCall =
  | "getaddrinfo"
  | "socket"
  | "setsockopt"
  | "fcntl"
  | "bind"
  | "listen"
  | "getsockname"
  | "accept"
  | "connect"
  | "send"
  | "recv"
  | "sendto"
  | "recvfrom"
  | "close"
  | "fork";

/** An address family as `<sys/socket.h>` names it. */
export type TraceFamily = "AF_INET" | "AF_INET6" | "AF_UNSPEC";

/**
 * One traced call. Which fields are set depends on `call`; every value is
 * the one the call really had.
 */
export interface TraceEvent {
  /** The call, as the guide names it. */
  call: TraceCall;
  /** The Deno call that made it, for example `"Deno.listen"`. */
  by?: string;
  /**
   * The system calls this one call of the guide stood for, in the order the
   * runtime made them, when they are not just `call` itself.
   */
  syscalls?: readonly string[];
  /** Why the guide's call was not made; then nothing else happened. */
  skipped?: string;
  /**
   * Which socket the call is about: numbered from 1 in the order the trace
   * met them, per trace callback and thread. Not the file descriptor, which
   * Deno does not show.
   */
  socket?: number;
  /**
   * The worker thread that made the call, from 1; absent on the thread that
   * started the workers (and in a program without them).
   */
  thread?: number;
  /** The guide's name for the socket: `sockfd`, or `new_fd` for an accepted one. */
  fd?: "sockfd" | "new_fd";
  /** The peer of an accepted socket, as `[::ffff:127.0.0.1]:50412`. */
  peer?: string;

  /** `getaddrinfo`: the node asked for; `null` for the guide's `NULL`. */
  host?: string | null;
  /** `getaddrinfo`: the service asked for; `null` for `NULL`. */
  service?: string | null;
  /** `getaddrinfo` hints or `socket` domain: the address family. */
  family?: TraceFamily;
  /** `getaddrinfo` hints or `socket`: the socket type, with its flags. */
  type?: string;
  /** `getaddrinfo`: the hints' flags, for example `"AI_PASSIVE"`. */
  flags?: string;
  /** `getaddrinfo`: the addresses found, in order. */
  addresses?: readonly string[];
  /** `socket`: the protocol, for example `"IPPROTO_TCP"`. */
  protocol?: string;

  /** `setsockopt`: the level, for example `"SOL_SOCKET"`. */
  level?: string;
  /** `setsockopt`: the option, for example `"SO_REUSEADDR"`. */
  option?: string;
  /** `setsockopt`: the value set. */
  value?: number;
  /** `fcntl`: the command and its argument, `"F_SETFL, O_RDWR|O_NONBLOCK"`. */
  command?: string;

  /**
   * The address the call names — bound, connected or sent to — or the one it
   * returns (`getsockname`, `accept`, `recvfrom`). IPv6 without brackets.
   */
  address?: string;
  /** The port that goes with `address`. */
  port?: number;
  /** `listen`: the backlog the runtime passes. */
  backlog?: number;
  /** `send`/`sendto`: the bytes given; `recv`/`recvfrom`: the buffer size. */
  length?: number;
  /**
   * `send`/`sendto`: the bytes sent — a view valid only while the callback
   * runs; copy what you keep.
   */
  data?: Uint8Array;

  /**
   * What the call returned: `0`, a byte count, or `-1` with `errno`. Left out
   * where Deno does not report it (strace's `= ?`), and for `socket` and
   * `accept`, which return a descriptor Deno does not show.
   */
  result?: number;
  /** The error's name when `result` is `-1`, for example `"ECONNREFUSED"`. */
  errno?: string;
  /** The error as the system describes it, for example `"Connection refused"`. */
  message?: string;
  /**
   * When attempts race: milliseconds since the first attempt started, at
   * the time of this call (`socket` when its attempt started, `connect`
   * when it ended).
   */
  at?: number;
  /** Why the call differs from the guide's C, or what it means. */
  note?: string;
}

/**
 * Receives each traced call, synchronously, as the library makes it: the
 * socket calls of Beej's guide as Deno really makes them.
 *
 * The functions that take a `trace` option (`resolve`, `connectFirst`,
 * `serveGreeting`, `listenForDatagrams`, `sendDatagram`, `sendNumbered`)
 * hand it one {@linkcode TraceEvent} per call of the guide (`getaddrinfo`,
 * `socket`, `bind`, `listen`, `accept`, `connect`, `send`, `recv`,
 * `sendto`, `recvfrom`, `close`) and per call the runtime makes that the
 * guide does not (`setsockopt`, `fcntl`, `getsockname`), with the real
 * arguments and results.
 *
 * An event is one call of the guide. Where the runtime needs several system
 * calls for it, `syscalls` names them in order (a non-blocking `connect()`
 * is `connect` then `getsockopt(SO_ERROR)`); where a call of the guide is not
 * made at all, `skipped` says why. What Deno does not report is not made up:
 * a result Deno does not return is left out (`close()` is `= ?`). The events
 * describe Deno 2.9 on Linux, as `strace -f` shows it; the tests hold them
 * against strace. `formatTraceEvent` (in `@beejnet/beejnet/text`) writes an
 * event as the guide's C would call it.
 *
 * Sockets are numbered per callback: the calls given the same function
 * number theirs in one sequence from 1, another function starts at 1 again.
 * Tracing costs nothing when it is off: without a `trace` callback no event
 * is made, no connection is wrapped and the tracing code is not even loaded.
 *
 * @example Trace a connection
 * ```ts
 * import { connectFirst, type TraceEvent } from "@beejnet/beejnet";
 * import { formatTraceEvent } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * const events: TraceEvent[] = [];
 * const { conn } = await connectFirst([{ address: "127.0.0.1", family: 4 }], {
 *   port,
 *   trace: (event) => events.push(event),
 * });
 * (await listener.accept()).close();
 * conn.close();
 *
 * assertEquals(events.map((event) => event.call), ["socket", "connect", "close"]);
 * assertEquals(
 *   formatTraceEvent(events[1]!, false),
 *   `connect(sockfd, 127.0.0.1:${port}) = 0 [Deno.connect: connect, getsockopt(SO_ERROR), getsockname, getpeername]`,
 * );
 * ```
 */
export type Trace = (event: TraceEvent) => void;
