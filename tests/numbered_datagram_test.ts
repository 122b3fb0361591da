import { assertEquals, assertThrows } from "@std/assert";
import {
  MAX_SEQUENCE,
  NUMBERED_HEADER_SIZE,
  NUMBERED_MAGIC,
  numberedDatagram,
  numberedEndMarker,
  readNumberedHeader,
  wallClock,
  writeNumberedHeader,
} from "../lib/numbered_datagram.ts";

const encoder = new TextEncoder();

Deno.test("numberedDatagram() lays out version 1 big-endian, byte for byte", () => {
  // seq 0x01020304; 1,700,000,000.1235 s = 0x6553F100 s + 123,500,000 ns.
  const sentAt = 1_700_000_000_123.5;
  const data = numberedDatagram(
    { seq: 0x01020304, sentAt },
    encoder.encode("hi"),
  );
  assertEquals(
    [...data],
    [
      0xbe,
      0xe7,
      0xda,
      0x7a, // magic
      1,
      20,
      0,
      0, // version, header length, flags
      0x01,
      0x02,
      0x03,
      0x04, // sequence number
      0x65,
      0x53,
      0xf1,
      0x00, // seconds
      0x07,
      0x5c,
      0x75,
      0xe0, // nanoseconds (123,500,000)
      0x68,
      0x69, // payload
    ],
  );
  assertEquals(NUMBERED_HEADER_SIZE, 20);
  assertEquals([...NUMBERED_MAGIC], [0xbe, 0xe7, 0xda, 0x7a]);
});

Deno.test("readNumberedHeader() reads back sequence and send time to the microsecond", () => {
  for (const seq of [0, 1, 65_535, 65_536, MAX_SEQUENCE]) {
    const sentAt = wallClock();
    const header = readNumberedHeader(numberedDatagram({ seq, sentAt }));
    assertEquals(header?.seq, seq);
    const error = Math.abs(header!.sentAt - sentAt);
    if (error > 0.001) throw new Error(`send time off by ${error} ms`);
  }
});

Deno.test("readNumberedHeader() reads the header of a view into a larger buffer", () => {
  const buffer = new Uint8Array(64);
  writeNumberedHeader(buffer.subarray(8), { seq: 42, sentAt: 5_000 });
  assertEquals(readNumberedHeader(buffer.subarray(8, 40)), {
    seq: 42,
    sentAt: 5_000,
  });
  assertEquals(readNumberedHeader(buffer), undefined);
});

Deno.test("readNumberedHeader() takes every datagram that is not version 1 or 2 as plain", () => {
  const good = numberedDatagram({ seq: 7, sentAt: 1_000 });
  const changed = (offset: number, value: number): Uint8Array => {
    const copy = good.slice();
    copy[offset] = value;
    return copy;
  };
  assertEquals(readNumberedHeader(good), { seq: 7, sentAt: 1_000 });
  assertEquals(readNumberedHeader(good.subarray(0, 19)), undefined, "short");
  for (let offset = 0; offset < 8; offset++) {
    assertEquals(
      readNumberedHeader(changed(offset, good[offset]! ^ 1)),
      undefined,
      `byte ${offset} changed`,
    );
  }
  const nanos = good.slice();
  const view = new DataView(nanos.buffer);
  view.setUint32(16, 999_999_999);
  assertEquals(readNumberedHeader(nanos)?.seq, 7, "the last nanosecond");
  for (const ns of [1_000_000_000, 0xffff_ffff]) {
    view.setUint32(16, ns);
    assertEquals(readNumberedHeader(nanos), undefined, `${ns} nanoseconds`);
  }
  for (const version of [0, 3, 255]) {
    assertEquals(readNumberedHeader(changed(4, version)), undefined);
  }
  assertEquals(readNumberedHeader(changed(7, 1)), undefined, "v1 flags 1");
});

Deno.test("readNumberedHeader() never misreads text or random bytes", () => {
  for (
    const text of [
      "Hello, world!",
      "a message of more than twenty bytes",
      "\u00be\u00e7\u00da\u007a version one, twenty bytes",
      "🙂".repeat(10),
    ]
  ) {
    assertEquals(readNumberedHeader(encoder.encode(text)), undefined, text);
  }
  const random = new Uint8Array(24);
  for (let i = 0; i < 10_000; i++) {
    crypto.getRandomValues(random);
    random[0] = 0xbe; // past the first check, onto the word comparisons
    assertEquals(readNumberedHeader(random), undefined);
  }
});

Deno.test("writeNumberedHeader() refuses a short buffer and values out of range", () => {
  assertThrows(
    () => writeNumberedHeader(new Uint8Array(19), { seq: 0, sentAt: 0 }),
    RangeError,
    "needs 20",
  );
  for (const seq of [-1, 1.5, MAX_SEQUENCE + 1, NaN]) {
    assertThrows(
      () => writeNumberedHeader(new Uint8Array(20), { seq, sentAt: 0 }),
      RangeError,
      "Sequence number",
    );
  }
  for (const sentAt of [-1, 2 ** 32 * 1000, NaN]) {
    assertThrows(
      () => writeNumberedHeader(new Uint8Array(20), { seq: 0, sentAt }),
      RangeError,
      "Send time",
    );
  }
});

Deno.test("writeNumberedHeader() carries a send time just below a whole second", () => {
  const sentAt = 1_999.9999999;
  const header = readNumberedHeader(numberedDatagram({ seq: 0, sentAt }));
  assertEquals(header, { seq: 0, sentAt: 2_000 });
});

Deno.test("numberedDatagram() writes version 2 when asked, the same 20 bytes with version byte 2", () => {
  const v1 = numberedDatagram({ seq: 9, sentAt: 1_500 }, encoder.encode("x"));
  const v2 = numberedDatagram(
    { seq: 9, sentAt: 1_500, version: 2 },
    encoder.encode("x"),
  );
  assertEquals(v2.length, 21);
  assertEquals([...v2.subarray(4, 8)], [2, 20, 0, 0]);
  assertEquals([...v2.subarray(0, 4)], [...v1.subarray(0, 4)]);
  assertEquals([...v2.subarray(8)], [...v1.subarray(8)]);
  assertEquals(readNumberedHeader(v2), { seq: 9, sentAt: 1_500, version: 2 });
  // Version 1 still reads as it always did: no version field.
  assertEquals(readNumberedHeader(v1), { seq: 9, sentAt: 1_500 });
});

Deno.test("numberedEndMarker() lays out flags 1, the last number and the last planned, 24 bytes", () => {
  const marker = numberedEndMarker({ count: 0x0102, planned: 0x0a0b0c0d }, 1);
  assertEquals(
    [...marker],
    [
      ...[0xbe, 0xe7, 0xda, 0x7a, 2, 20, 0, 1],
      ...[0, 0, 0x01, 0x01], // the last number: count - 1
      ...[0, 0, 0, 0, 0x00, 0x0f, 0x42, 0x40], // 0 s, 1,000,000 ns
      ...[0x0a, 0x0b, 0x0c, 0x0c], // the last planned: planned - 1
    ],
  );
  assertEquals(readNumberedHeader(marker)?.end, {
    count: 0x0102,
    planned: 0x0a0b0c0d,
  });
  // The largest run: 2^32 datagrams, numbers 0 to 2^32 - 1.
  const largest = numberedEndMarker({
    count: MAX_SEQUENCE + 1,
    planned: MAX_SEQUENCE + 1,
  });
  assertEquals(readNumberedHeader(largest)?.end, {
    count: 2 ** 32,
    planned: 2 ** 32,
  });
});

Deno.test("readNumberedHeader() takes an end marker without its 4 bytes, or planned below its last, or other flags, as plain", () => {
  const marker = numberedEndMarker({ count: 5, planned: 5 }, 0);
  assertEquals(readNumberedHeader(marker.subarray(0, 23)), undefined);
  const below = marker.slice();
  new DataView(below.buffer).setUint32(20, 3); // planned last 3 < last 4
  assertEquals(readNumberedHeader(below), undefined);
  for (const flags of [2, 3, 0x80]) {
    const other = marker.slice();
    other[7] = flags;
    assertEquals(readNumberedHeader(other), undefined, `flags ${flags}`);
  }
});

Deno.test("numberedEndMarker() refuses counts out of range; writeNumberedHeader() refuses an end or another version", () => {
  for (const end of [{ count: 0, planned: 1 }, { count: 1.5, planned: 2 }]) {
    assertThrows(() => numberedEndMarker(end), RangeError, "Count");
  }
  for (const planned of [2, 2 ** 32 + 1, NaN]) {
    assertThrows(
      () => numberedEndMarker({ count: 3, planned }),
      RangeError,
      "Planned count",
    );
  }
  assertThrows(
    () =>
      writeNumberedHeader(new Uint8Array(24), {
        seq: 0,
        sentAt: 0,
        end: { count: 1, planned: 1 },
      }),
    TypeError,
    "numberedEndMarker()",
  );
  assertThrows(
    () =>
      writeNumberedHeader(new Uint8Array(20), {
        seq: 0,
        sentAt: 0,
        version: 3 as 2,
      }),
    RangeError,
    'Version "3"',
  );
});
