/**
 * The numbers and strings of Beej's chapter 6 programs, named once.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** The TCP port of `server` and `client` (`#define PORT "3490"`). */
export const DEFAULT_TCP_PORT = 3490;

/** The UDP port of `listener` and `talker` (`#define MYPORT "4950"`). */
export const DEFAULT_UDP_PORT = 4950;

/** What `server` sends to every connection, 13 bytes, no newline. */
export const GREETING = "Hello, world!";

/**
 * The receive buffer for one datagram: larger than any UDP payload, so
 * `receive()` never truncates silently.
 */
export const DATAGRAM_BUFFER_SIZE = 65_536;

/** The largest UDP payload that fits in one IPv4 datagram (65,535 − 20 − 8). */
export const MAX_UDP_PAYLOAD_IPV4 = 65_507;

/** The largest UDP payload that fits in one IPv6 datagram (65,535 − 8). */
export const MAX_UDP_PAYLOAD_IPV6 = 65_527;

/** How much `client` reads by default before it stops: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1_048_576;

/** RFC 8305's recommended delay between connection attempts, in ms. */
export const CONNECTION_ATTEMPT_DELAY = 250;

/** The version of beejnet: `deno.json`'s, the one place it is written. */
export const VERSION: string = config.version;
