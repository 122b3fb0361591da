/**
 * beejnet: the four client-server programs of Beej's Guide to Network
 * Programming, chapter 6 — `server`, `client`, `listener` and `talker` — as
 * Deno tools, and the library under them. The library resolves names the way
 * `getaddrinfo` does (every address, in order), formats dual-stack addresses
 * the way `inet_ntop` does (IPv4-mapped peers shown as IPv4), connects with
 * Happy Eyeballs, serves greetings concurrently and receives datagrams
 * without truncation. Everything it shows of network data can be escaped so
 * that a peer cannot drive the terminal.
 *
 * ```ts
 * import { readAll, serveGreeting } from "./mod.ts";
 * import assert from "node:assert/strict";
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
 * assert.equal(new TextDecoder().decode(data), "Hello, world!");
 * ```
 *
 * @module
 */

export {
  CONNECTION_ATTEMPT_DELAY,
  DATAGRAM_BUFFER_SIZE,
  DEFAULT_MAX_BYTES,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
  GREETING,
  MAX_UDP_PAYLOAD_IPV4,
  MAX_UDP_PAYLOAD_IPV6,
  VERSION,
} from "./lib/constants.ts";
export {
  BindError,
  ConnectError,
  describeError,
  isPermissionError,
  ResolveError,
  TimeoutError,
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
export { serveGreetingWorkers } from "./lib/greeting_workers.ts";
export type { ServeGreetingWorkersOptions } from "./lib/greeting_workers.ts";
export { listenForDatagrams } from "./lib/datagram_listener.ts";
export type {
  DatagramListener,
  ListenForDatagramsOptions,
} from "./lib/datagram_listener.ts";
export { maxPayload, sendDatagram, SendError } from "./lib/send_datagram.ts";
export type { SendDatagramOptions, SentDatagram } from "./lib/send_datagram.ts";
export { accessList, cidrContains, parseCidr } from "./lib/access_list.ts";
export type { AccessListOptions, Cidr } from "./lib/access_list.ts";
export { escapeBytes, escapeText } from "./lib/escape.ts";
export { hexDump } from "./lib/hex_dump.ts";
export { dataFields, jsonLine } from "./lib/json_line.ts";
export { parseInteger, parsePort, parseSeconds } from "./lib/parse_number.ts";
export type { ParseIntegerOptions } from "./lib/parse_number.ts";
export { parseArgs } from "./lib/parse_args.ts";
export type { OptionSpec, OptionValues, ParsedArgs } from "./lib/parse_args.ts";
