/**
 * beejnet: the four client-server programs of Beej's Guide to Network
 * Programming, chapter 6 — `server`, `client`, `listener` and `talker` — as
 * Deno tools, and the library under them. The library resolves names the way
 * `getaddrinfo` does (every address, in order), formats dual-stack addresses
 * the way `inet_ntop` does (IPv4-mapped peers shown as IPv4), connects with
 * Happy Eyeballs, serves greetings concurrently and receives datagrams
 * without truncation. Each of these takes a `trace` callback that receives
 * the guide's socket calls as Deno makes them (`socket`, `bind`, `listen`,
 * `accept`, `connect`, `send`, `recv`, `sendto`, `recvfrom`, `close`, with
 * their real arguments and results). It numbers datagrams, paced on a
 * schedule that does not drift, and counts per sender what a receiver lost,
 * got late or twice, their one-way delay and RFC 3550 jitter. Terminal-safe
 * text for what peers send (escaping, hex dumps, JSON lines, trace lines) is
 * its own module, `@beejnet/beejnet/text`.
 *
 * The library's conventions, as Deno's own APIs have them: an option of the
 * wrong type is a `TypeError`, a number out of range (a port, a limit, a
 * timeout) a `RangeError`, both as a rejection of the call; a timeout
 * rejects with a `DOMException` named `"TimeoutError"`, as
 * `AbortSignal.timeout()` makes; a `signal` that aborts (already aborted
 * included) rejects with its `reason`; an error that wraps another keeps it
 * as `cause`; bytes come in a `Uint8Array<ArrayBuffer>`. The library has no
 * default port of its own: a destination port is always given, and a
 * listening port defaults to 0 (any free port).
 *
 * ```ts
 * import { readAll, serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const controller = new AbortController();
 * const server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   signal: controller.signal,
 * });
 * const conn = await Deno.connect({ port: server.addr.port });
 * const { data } = await readAll(conn);
 * conn.close();
 * controller.abort();
 * await server.finished;
 * assertEquals(new TextDecoder().decode(data), "Hello, world!");
 * ```
 *
 * @module
 */

export {
  CONNECTION_ATTEMPT_DELAY,
  DATAGRAM_BUFFER_SIZE,
  GREETING,
  MAX_UDP_PAYLOAD_IPV4,
  MAX_UDP_PAYLOAD_IPV6,
} from "./lib/constants.ts";
export {
  AddressError,
  BindError,
  ConnectError,
  describeError,
  isPermissionError,
  MessageSizeError,
  ResolveError,
  SendError,
  UnstableNetError,
} from "./lib/errors.ts";
export type { AddressFailure } from "./lib/errors.ts";
export {
  ipFamily,
  mappedIPv4,
  parseIPv4,
  parseIPv6,
  sameAddress,
} from "./lib/ip.ts";
export type { IpFamily } from "./lib/ip.ts";
export { formatAddress, formatHostPort } from "./lib/format_address.ts";
export { checkHost, resolve } from "./lib/resolve.ts";
export type { ResolvedAddress, ResolveOptions } from "./lib/resolve.ts";
export { connectFirst, interleaveFamilies } from "./lib/happy_eyeballs.ts";
export type { Connected, ConnectFirstOptions } from "./lib/happy_eyeballs.ts";
export { readAll } from "./lib/read_all.ts";
export type {
  Readable,
  ReadAllOptions,
  ReadAllResult,
} from "./lib/read_all.ts";
export { serveGreeting } from "./lib/greeting_server.ts";
export type {
  GreetingServer,
  ServeGreetingOptions,
} from "./lib/greeting_server.ts";
export { listenForDatagrams } from "./lib/datagram_listener.ts";
export type {
  DatagramListener,
  ListenForDatagramsOptions,
} from "./lib/datagram_listener.ts";
export { maxPayload, sendDatagram } from "./lib/send_datagram.ts";
export type { SendDatagramOptions, SentDatagram } from "./lib/send_datagram.ts";
export {
  MAX_SEQUENCE,
  NUMBERED_HEADER_SIZE,
  NUMBERED_MAGIC,
  NUMBERED_VERSION,
  numberedDatagram,
  numberedEndMarker,
  readNumberedHeader,
  wallClock,
  writeNumberedHeader,
} from "./lib/numbered_datagram.ts";
export type { NumberedHeader, RunEnd } from "./lib/numbered_datagram.ts";
export { SequenceStats } from "./lib/sequence_stats.ts";
export type {
  BitmapBudget,
  DelaySummary,
  SequenceReport,
  SequenceStatsOptions,
} from "./lib/sequence_stats.ts";
export { DatagramStats } from "./lib/datagram_stats.ts";
export type {
  DatagramStatsOptions,
  SenderReport,
} from "./lib/datagram_stats.ts";
export { isBufferFull, pace } from "./lib/pace.ts";
export type { PaceOptions, PaceResult } from "./lib/pace.ts";
export { sendNumbered } from "./lib/send_numbered.ts";
export type { SendNumberedOptions, SentNumbered } from "./lib/send_numbered.ts";
export { accessList, cidrContains, parseCidr } from "./lib/access_list.ts";
export type { Trace, TraceCall, TraceEvent, TraceFamily } from "./lib/trace.ts";
export type { AccessListOptions, Cidr } from "./lib/access_list.ts";
