/**
 * Numbered datagrams: a 20-byte header in front of a datagram's payload so
 * that a receiver can tell a lost datagram from one never sent.
 *
 * Wire format, version 1 (all integers unsigned, big-endian):
 *
 * | offset | size | field                                                  |
 * | ------ | ---- | ------------------------------------------------------ |
 * | 0      | 4    | magic `BE E7 DA 7A`                                    |
 * | 4      | 1    | version: `1`                                           |
 * | 5      | 1    | header length in bytes: `20` (the payload starts here) |
 * | 6      | 2    | flags: `0` (reserved)                                  |
 * | 8      | 4    | sequence number; a sender's first datagram is `0`      |
 * | 12     | 4    | send time: whole seconds since the Unix epoch          |
 * | 16     | 4    | send time: nanoseconds, below 1,000,000,000            |
 * | 20     | …    | the payload                                            |
 *
 * A datagram is read as numbered only when it is at least 20 bytes long, its
 * first 8 bytes are exactly magic, version 1, length 20 and flags 0, and the
 * nanoseconds are in range; anything else is a plain datagram. The magic
 * starts with `BE`, which never begins a UTF-8 character, so no text message
 * is ever misread; random binary data matches with a chance below 2⁻⁶⁴. A
 * later version changes the version byte, so a version-1 reader takes its
 * datagrams as plain rather than misreading them.
 *
 * @example Write and read back a header
 * ```ts
 * import {
 *   numberedDatagram,
 *   readNumberedHeader,
 * } from "./numbered_datagram.ts";
 * import { assertEquals } from "@std/assert/equals";
 *
 * const data = numberedDatagram(
 *   { seq: 7, sentAt: 1_700_000_000_000.5 },
 *   new Uint8Array([104, 105]),
 * );
 * assertEquals(readNumberedHeader(data), { seq: 7, sentAt: 1_700_000_000_000.5 });
 * assertEquals(readNumberedHeader(new TextEncoder().encode("hi")), undefined);
 * ```
 *
 * @module
 */

/** The four bytes every numbered datagram starts with. */
export const NUMBERED_MAGIC: Uint8Array = Uint8Array.of(0xbe, 0xe7, 0xda, 0x7a);

/** The header's version that {@linkcode readNumberedHeader} reads. */
export const NUMBERED_VERSION = 1;

/** The header's length in bytes: the payload starts at this offset. */
export const NUMBERED_HEADER_SIZE = 20;

/** The largest sequence number: sequence numbers are 32 bits. */
export const MAX_SEQUENCE = 0xffff_ffff;

const MAGIC_WORD = 0xbee7da7a;
const VERSION_WORD = (NUMBERED_VERSION << 24) | (NUMBERED_HEADER_SIZE << 16);

/** What a numbered datagram's header says. */
export interface NumberedHeader {
  /** The sequence number, from `0`. */
  seq: number;
  /** The send time in milliseconds since the Unix epoch (as `Date.now()`). */
  sentAt: number;
}

/**
 * The time now in milliseconds since the Unix epoch, with the sub-millisecond
 * precision of `performance.now()`: the clock of send times and arrivals.
 *
 * @returns Milliseconds since the Unix epoch, fractional.
 *
 * @example Close to Date.now()
 * ```ts
 * import { wallClock } from "./numbered_datagram.ts";
 * import { assertAlmostEquals } from "@std/assert/almost-equals";
 *
 * assertAlmostEquals(wallClock(), Date.now(), 1_000);
 * ```
 */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Write a version-1 header into the first 20 bytes of `buffer`, in place (a
 * sender can reuse one buffer and rewrite only the header per datagram).
 *
 * @param buffer At least {@linkcode NUMBERED_HEADER_SIZE} bytes.
 * @param header The sequence number (an integer from 0 to 2³² − 1) and the
 *   send time in ms since the Unix epoch (0 to 2³² s).
 * @throws {RangeError} When `buffer` is too short or a value is out of range.
 *
 * @example Rewrite the header of a reused buffer
 * ```ts
 * import {
 *   readNumberedHeader,
 *   writeNumberedHeader,
 * } from "./numbered_datagram.ts";
 * import { assertEquals } from "@std/assert/equals";
 *
 * const buffer = new Uint8Array(32);
 * writeNumberedHeader(buffer, { seq: 0, sentAt: 1_000 });
 * writeNumberedHeader(buffer, { seq: 1, sentAt: 2_000 });
 * assertEquals(readNumberedHeader(buffer), { seq: 1, sentAt: 2_000 });
 * ```
 */
export function writeNumberedHeader(
  buffer: Uint8Array,
  header: NumberedHeader,
): void {
  const { seq, sentAt } = header;
  if (buffer.length < NUMBERED_HEADER_SIZE) {
    throw new RangeError(
      `Buffer is ${buffer.length} bytes: a numbered header needs ${NUMBERED_HEADER_SIZE}`,
    );
  }
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE) {
    throw new RangeError(
      `Sequence number "${seq}" is not in 0-${MAX_SEQUENCE}`,
    );
  }
  let seconds = Math.floor(sentAt / 1000);
  let nanos = Math.round((sentAt - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  if (!(seconds >= 0 && seconds <= 0xffff_ffff)) {
    throw new RangeError(`Send time "${sentAt}" does not fit 32-bit seconds`);
  }
  const view = new DataView(
    buffer.buffer,
    buffer.byteOffset,
    NUMBERED_HEADER_SIZE,
  );
  view.setUint32(0, MAGIC_WORD);
  view.setUint32(4, VERSION_WORD);
  view.setUint32(8, seq);
  view.setUint32(12, seconds);
  view.setUint32(16, nanos);
}

/**
 * Make a numbered datagram: the header, then `payload`.
 *
 * @param header The sequence number and the send time in ms since the Unix
 *   epoch.
 * @param payload What follows the header. @default {empty}
 * @returns A new datagram of 20 + `payload.length` bytes.
 * @throws {RangeError} When a value is out of range.
 *
 * @example A header with no payload
 * ```ts
 * import { numberedDatagram } from "./numbered_datagram.ts";
 * import { assertEquals } from "@std/assert/equals";
 *
 * assertEquals(numberedDatagram({ seq: 0, sentAt: 0 }).length, 20);
 * ```
 */
export function numberedDatagram(
  header: NumberedHeader,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const data = new Uint8Array(NUMBERED_HEADER_SIZE + payload.length);
  writeNumberedHeader(data, header);
  data.set(payload, NUMBERED_HEADER_SIZE);
  return data;
}

/**
 * Read the header of a numbered datagram.
 *
 * @param data A datagram as received.
 * @returns The sequence number and send time, or `undefined` for a plain
 *   datagram (too short, another magic, version, length or flags, or
 *   nanoseconds out of range).
 *
 * @example A plain datagram is not misread
 * ```ts
 * import { readNumberedHeader } from "./numbered_datagram.ts";
 * import { assertEquals } from "@std/assert/equals";
 *
 * const text = new TextEncoder().encode("Hello, twenty bytes!");
 * assertEquals(readNumberedHeader(text), undefined);
 * ```
 */
export function readNumberedHeader(
  data: Uint8Array,
): NumberedHeader | undefined {
  // Byte by byte, no DataView: a listener calls this for every datagram.
  if (
    data.length < NUMBERED_HEADER_SIZE || data[0] !== 0xbe ||
    data[1] !== 0xe7 || data[2] !== 0xda || data[3] !== 0x7a ||
    data[4] !== NUMBERED_VERSION || data[5] !== NUMBERED_HEADER_SIZE ||
    data[6] !== 0 || data[7] !== 0
  ) return undefined;
  const nanos = word(data, 16);
  if (nanos >= 1e9) return undefined;
  return { seq: word(data, 8), sentAt: word(data, 12) * 1000 + nanos / 1e6 };
}

/** The big-endian 32-bit word at `at` (the caller checked the length). */
function word(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) |
    data[at + 3]!) >>> 0;
}
