/**
 * Numbered datagrams: a 20-byte header in front of a datagram's payload, so
 * that a receiver can count the datagrams of a run that never arrived, and,
 * with version 2, those lost after the last one that did.
 *
 * The wire format, and what each version lets a receiver see, is in
 * {@linkcode NumberedHeader}.
 *
 * @example Write and read back a header
 * ```ts
 * import { numberedDatagram, readNumberedHeader } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
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

import { NUMBERED_HEADER_SIZE } from "./_sender.ts";

export { NUMBERED_HEADER_SIZE };

/** The four bytes every numbered datagram starts with. */
export const NUMBERED_MAGIC: Uint8Array<ArrayBuffer> = Uint8Array.of(
  0xbe,
  0xe7,
  0xda,
  0x7a,
);

/**
 * The newest version of the header: 2, which `sendNumbered` writes.
 * {@linkcode readNumberedHeader} reads versions 1 and 2;
 * {@linkcode writeNumberedHeader} writes version 1 unless asked for 2.
 */
export const NUMBERED_VERSION = 2;

/** The largest sequence number: sequence numbers are 32 bits. */
export const MAX_SEQUENCE = 0xffff_ffff;

/** The flag of an end marker (version 2). */
const END_FLAG = 1;

/** An end marker's length: the header and the last planned number. */
const END_MARKER_SIZE = NUMBERED_HEADER_SIZE + 4;

const MAGIC_WORD = 0xbee7da7a;

/** How a run of numbered datagrams ended, as its end marker says. */
export interface RunEnd {
  /**
   * Datagrams the run numbered: its sequence numbers went from 0 to
   * `count − 1`, whether each send succeeded or not.
   */
  count: number;
  /**
   * Datagrams the run was to number: above `count` when its sender stopped
   * it early (a run cut short).
   */
  planned: number;
}

/**
 * What a numbered datagram's header says.
 *
 * Wire format (all integers unsigned, big-endian):
 *
 * | offset | size | field                                                  |
 * | ------ | ---- | ------------------------------------------------------ |
 * | 0      | 4    | magic `BE E7 DA 7A`                                    |
 * | 4      | 1    | version: `1` or `2`                                    |
 * | 5      | 1    | header length in bytes: `20` (the payload starts here) |
 * | 6      | 2    | flags: `0`; in version 2, `1` marks an end marker      |
 * | 8      | 4    | sequence number; a sender's first datagram is `0`      |
 * | 12     | 4    | send time: whole seconds since the Unix epoch          |
 * | 16     | 4    | send time: nanoseconds, below 1,000,000,000            |
 * | 20     | …    | the payload                                            |
 *
 * Version 1 numbers the datagrams and nothing else: a receiver sees a gap,
 * but not a loss after the last arrival, nor where the run ended. Version 2
 * is version 1 plus a promise: the run closes with end markers, a few
 * copies of one datagram with flags `1` whose sequence number is the run's
 * last, followed by 4 bytes: the last sequence number the run was to send
 * (the same, unless it was stopped early). A receiver that gets one knows
 * the run's length, so every datagram it did not get counts as lost, the
 * tail included; a run cut short says so. If every copy is lost, or the
 * receiver stopped first, the version-2 headers still tell it that the end
 * was not seen, rather than letting it count the run as complete.
 *
 * A datagram is read as numbered only when it is at least 20 bytes long, its
 * first 8 bytes are exactly magic, version 1 or 2, length 20 and a known
 * flags value, the nanoseconds are in range, and an end marker carries its
 * 4 bytes with a planned end not below its last number; anything else is a
 * plain datagram. The magic starts with `BE`, which never begins a UTF-8
 * character, so no text message is ever misread; random binary data
 * matches with a chance below 2⁻⁶² (three 8-byte openings are accepted).
 * A version-1 reader takes version-2 datagrams as plain rather than
 * misreading them.
 */
export interface NumberedHeader {
  /** The sequence number, from `0`; in an end marker, the run's last. */
  seq: number;
  /** The send time in milliseconds since the Unix epoch (as `Date.now()`). */
  sentAt: number;
  /**
   * `2` for a version-2 header: the sender closes its run with end markers.
   * Absent for version 1, which {@linkcode writeNumberedHeader} writes
   * unless this says 2.
   */
  version?: 2;
  /**
   * Only in an end marker (version 2): the run is over, and how it ended.
   * An end marker is not a datagram of the run.
   */
  end?: RunEnd;
}

/**
 * The time now in milliseconds since the Unix epoch, with the sub-millisecond
 * precision of `performance.now()`: the clock of send times and arrivals.
 *
 * @returns Milliseconds since the Unix epoch, fractional.
 *
 * @example Close to Date.now()
 * ```ts
 * import { wallClock } from "@beejnet/beejnet";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * assertAlmostEquals(wallClock(), Date.now(), 1_000);
 * ```
 */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** The send time as 32-bit seconds and nanoseconds, or a RangeError. */
function splitTime(sentAt: number): [number, number] {
  let seconds = Math.floor(sentAt / 1000);
  let nanos = Math.round((sentAt - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  if (!(seconds >= 0 && seconds <= 0xffff_ffff)) {
    throw new RangeError(`Send time "${sentAt}" does not fit 32-bit seconds`);
  }
  return [seconds, nanos];
}

function checkSequence(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE) {
    throw new RangeError(
      `Sequence number "${seq}" is not in 0-${MAX_SEQUENCE}`,
    );
  }
}

function writeHeader(
  buffer: Uint8Array,
  version: 1 | 2,
  flags: number,
  seq: number,
  sentAt: number,
): void {
  const [seconds, nanos] = splitTime(sentAt);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  view.setUint32(0, MAGIC_WORD);
  view.setUint32(4, (version << 24) | (NUMBERED_HEADER_SIZE << 16) | flags);
  view.setUint32(8, seq);
  view.setUint32(12, seconds);
  view.setUint32(16, nanos);
}

/**
 * Write a datagram's header into the first 20 bytes of `buffer`, in place
 * (a sender can reuse one buffer and rewrite only the header per datagram):
 * version 1, or version 2 when `header.version` is 2 — then the run must
 * close with end markers ({@linkcode numberedEndMarker}), or its receivers
 * will say its end was never seen.
 *
 * @param buffer At least {@linkcode NUMBERED_HEADER_SIZE} bytes.
 * @param header The sequence number (an integer from 0 to 2³² − 1), the
 *   send time in ms since the Unix epoch (0 to 2³² s), and the version.
 * @throws {RangeError} When `buffer` is too short or a value is out of range.
 * @throws {TypeError} When `header` has `end`: an end marker is made by
 *   {@linkcode numberedEndMarker}.
 *
 * @example Rewrite the header of a reused buffer
 * ```ts
 * import { readNumberedHeader, writeNumberedHeader } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const buffer = new Uint8Array(32);
 * writeNumberedHeader(buffer, { seq: 0, sentAt: 1_000 });
 * writeNumberedHeader(buffer, { seq: 1, sentAt: 2_000 });
 * assertEquals(readNumberedHeader(buffer), { seq: 1, sentAt: 2_000 });
 * writeNumberedHeader(buffer, { seq: 2, sentAt: 3_000, version: 2 });
 * assertEquals(readNumberedHeader(buffer)?.version, 2);
 * ```
 */
export function writeNumberedHeader(
  buffer: Uint8Array,
  header: NumberedHeader,
): void {
  const { seq, sentAt } = header;
  if (header.end !== undefined) {
    throw new TypeError(
      "Header has an end: an end marker is made by numberedEndMarker()",
    );
  }
  if (buffer.length < NUMBERED_HEADER_SIZE) {
    throw new RangeError(
      `Buffer is ${buffer.length} bytes: a numbered header needs ${NUMBERED_HEADER_SIZE}`,
    );
  }
  checkSequence(seq);
  const version = header.version ?? 1;
  if (version !== 1 && version !== 2) {
    throw new RangeError(`Version "${version}" is not 1 or 2`);
  }
  writeHeader(buffer, version, 0, seq, sentAt);
}

/**
 * Make a numbered datagram: the header, then `payload`.
 *
 * @param header The sequence number, the send time in ms since the Unix
 *   epoch, and the version (1 unless it says 2).
 * @param payload What follows the header. @default {empty}
 * @returns A new datagram of 20 + `payload.length` bytes.
 * @throws {RangeError} When a value is out of range.
 * @throws {TypeError} When `header` has `end` (see
 *   {@linkcode numberedEndMarker}).
 *
 * @example A header with no payload
 * ```ts
 * import { numberedDatagram } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(numberedDatagram({ seq: 0, sentAt: 0 }).length, 20);
 * ```
 */
export function numberedDatagram(
  header: NumberedHeader,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(NUMBERED_HEADER_SIZE + payload.length);
  writeNumberedHeader(data, header);
  data.set(payload, NUMBERED_HEADER_SIZE);
  return data;
}

/**
 * Make the end marker of a version-2 run: a header with flags 1 whose
 * sequence number is the run's last (`count − 1`), then the last number it
 * was to send (`planned − 1`), 24 bytes in all. Send a few copies after the
 * run's last datagram, as `sendNumbered` does: the run's receivers then
 * count every datagram they did not get as lost, those after their last
 * arrival included, and tell a run cut short from a loss.
 *
 * @param end How many datagrams the run numbered and was to number.
 * @param sentAt The send time in ms since the Unix epoch.
 *   @default {wallClock()}
 * @returns A new datagram of 24 bytes.
 * @throws {RangeError} When `count` is not an integer from 1 to 2³², or
 *   `planned` not one from `count` to 2³².
 *
 * @example A run stopped after 3 of 10
 * ```ts
 * import { numberedEndMarker, readNumberedHeader } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const marker = numberedEndMarker({ count: 3, planned: 10 }, 1_000);
 * assertEquals(readNumberedHeader(marker), {
 *   seq: 2,
 *   sentAt: 1_000,
 *   version: 2,
 *   end: { count: 3, planned: 10 },
 * });
 * ```
 */
export function numberedEndMarker(
  end: RunEnd,
  sentAt: number = wallClock(),
): Uint8Array<ArrayBuffer> {
  const { count, planned } = end;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_SEQUENCE + 1)) {
    throw new RangeError(`Count "${count}" is not in 1-${MAX_SEQUENCE + 1}`);
  }
  if (
    !(Number.isInteger(planned) && planned >= count &&
      planned <= MAX_SEQUENCE + 1)
  ) {
    throw new RangeError(
      `Planned count "${planned}" is not in ${count}-${MAX_SEQUENCE + 1}`,
    );
  }
  const data = new Uint8Array(END_MARKER_SIZE);
  writeHeader(data, 2, END_FLAG, count - 1, sentAt);
  new DataView(data.buffer).setUint32(NUMBERED_HEADER_SIZE, planned - 1);
  return data;
}

/**
 * Read the header of a numbered datagram, version 1 or 2.
 *
 * @param data A datagram as received.
 * @returns The sequence number and send time (and for version 2 its
 *   `version`, and in an end marker its `end`), or `undefined` for a plain
 *   datagram (too short, another magic, version, length or flags,
 *   nanoseconds out of range, or an end marker without its planned end).
 *
 * @example A plain datagram is not misread
 * ```ts
 * import { readNumberedHeader } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
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
    data[5] !== NUMBERED_HEADER_SIZE || data[6] !== 0
  ) return undefined;
  const version = data[4], flags = data[7]!;
  if (version === 1 ? flags !== 0 : version !== 2 || flags > END_FLAG) {
    return undefined;
  }
  const nanos = word(data, 16);
  if (nanos >= 1e9) return undefined;
  const seq = word(data, 8);
  const sentAt = word(data, 12) * 1000 + nanos / 1e6;
  if (version === 1) return { seq, sentAt };
  if (flags === 0) return { seq, sentAt, version: 2 };
  if (data.length < END_MARKER_SIZE) return undefined;
  const last = word(data, NUMBERED_HEADER_SIZE);
  if (last < seq) return undefined;
  return {
    seq,
    sentAt,
    version: 2,
    end: { count: seq + 1, planned: last + 1 },
  };
}

/** The big-endian 32-bit word at `at` (the caller checked the length). */
function word(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) |
    data[at + 3]!) >>> 0;
}
