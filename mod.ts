/**
 * beejnet: the four programs of Beej's Guide to Network Programming,
 * chapter 6 (`server`, `client`, `listener`, `talker`), as Deno tools, and
 * the library under them: names resolved as `getaddrinfo` does (every
 * address, in order), dual-stack addresses formatted, Happy Eyeballs
 * connects, a greeting server, datagrams sent and received, numbered
 * datagrams with loss statistics, and a `trace` of the guide's socket calls.
 * Terminal-safe text for what peers send is `@beejnet/beejnet/text`.
 *
 * Its conventions are Deno's:
 * - A server or listener closes with `close()`, at the end of an
 *   `await using` scope (`Symbol.asyncDispose`) or when its `signal` aborts;
 *   its `finished` settles once every socket is closed. Callbacks may be
 *   async and are awaited; one that throws rejects `finished`, with every
 *   socket closed. `close()` never rejects, so neither does the end of an
 *   `await using` scope: where a callback's failure matters, `await
 *   server.finished` (see the second example).
 * - A listening port defaults to `0` (any free port); a destination port is
 *   always given. Beej's ports (3490, 4950) are the tools' defaults only.
 * - A wrong type is a `TypeError`, a value out of range a `RangeError`. An
 *   error that wraps another keeps it as `cause`. A timeout rejects with a
 *   `DOMException` named `"TimeoutError"`, an aborted `signal` with its
 *   `reason`.
 * - UDP and `workers` need Deno's `--unstable-net` (or `"unstable": ["net"]`
 *   in `deno.json`); without it they throw {@linkcode UnstableNetError}.
 *
 * @example Serve, connect and read, closed by `await using`
 * ```ts
 * import { readAll, serveGreeting } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = await serveGreeting({ hostname: "127.0.0.1" });
 * using conn = await Deno.connect({ port: server.addr.port });
 * const { data } = await readAll(conn, { idleTimeout: 5_000 });
 * assertEquals(new TextDecoder().decode(data), "Hello, world!");
 * ```
 *
 * @example With `await using`, a callback's failure is in `finished`
 * ```ts
 * import { serveGreeting } from "@beejnet/beejnet";
 * import { assertRejects } from "@std/assert";
 *
 * await using server = await serveGreeting({
 *   hostname: "127.0.0.1",
 *   onConnection: () => {
 *     throw new Error("log full");
 *   },
 * });
 * (await Deno.connect({ port: server.addr.port })).close();
 * // The scope's end calls close(), which never rejects: await `finished`.
 * await assertRejects(() => server.finished, Error, "log full");
 * ```
 *
 * @example A silent peer: the timeout is a `DOMException` `"TimeoutError"`
 * ```ts
 * import { readAll } from "@beejnet/beejnet";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ port: listener.addr.port });
 * using _peer = await listener.accept(); // accepts and says nothing
 * const error = await assertRejects(
 *   () => readAll(conn, { idleTimeout: 50 }),
 *   DOMException,
 * );
 * assertEquals(error.name, "TimeoutError");
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
