/**
 * The library's numbers, named once: datagram sizes, the Happy Eyeballs
 * delay, the greeting server's default message. The tools' own defaults
 * (Beej's ports, how much `client` reads, the version) live with the tools.
 *
 * @module
 */

/**
 * What `serveGreeting()` sends to every connection unless told
 * otherwise: 13 bytes, no newline, as in Beej's guide.
 */
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

/** RFC 8305's recommended delay between connection attempts, in ms. */
export const CONNECTION_ATTEMPT_DELAY = 250;
