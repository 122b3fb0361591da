import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { hexDump } from "../lib/text/hex_dump.ts";

const encoder = new TextEncoder();

/** The bytes 0, 1, …, length - 1, wrapping after 255. */
function counting(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i & 0xff);
}

/** What `hexdump -C -v` prints for the bytes 0 to 255, without its last line. */
const ALL_BYTES_DUMP = [
  "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
  "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
  "00000020  20 21 22 23 24 25 26 27  28 29 2a 2b 2c 2d 2e 2f  | !\"#$%&'()*+,-./|",
  "00000030  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  |0123456789:;<=>?|",
  "00000040  40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|",
  "00000050  50 51 52 53 54 55 56 57  58 59 5a 5b 5c 5d 5e 5f  |PQRSTUVWXYZ[\\]^_|",
  "00000060  60 61 62 63 64 65 66 67  68 69 6a 6b 6c 6d 6e 6f  |`abcdefghijklmno|",
  "00000070  70 71 72 73 74 75 76 77  78 79 7a 7b 7c 7d 7e 7f  |pqrstuvwxyz{|}~.|",
  "00000080  80 81 82 83 84 85 86 87  88 89 8a 8b 8c 8d 8e 8f  |................|",
  "00000090  90 91 92 93 94 95 96 97  98 99 9a 9b 9c 9d 9e 9f  |................|",
  "000000a0  a0 a1 a2 a3 a4 a5 a6 a7  a8 a9 aa ab ac ad ae af  |................|",
  "000000b0  b0 b1 b2 b3 b4 b5 b6 b7  b8 b9 ba bb bc bd be bf  |................|",
  "000000c0  c0 c1 c2 c3 c4 c5 c6 c7  c8 c9 ca cb cc cd ce cf  |................|",
  "000000d0  d0 d1 d2 d3 d4 d5 d6 d7  d8 d9 da db dc dd de df  |................|",
  "000000e0  e0 e1 e2 e3 e4 e5 e6 e7  e8 e9 ea eb ec ed ee ef  |................|",
  "000000f0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff  |................|",
];

/**
 * Whether `hexdump` can be run: the permission is granted and the program is
 * installed. Checked once, before any test starts.
 */
const hexdumpAvailable = ((): boolean => {
  const state = Deno.permissions.querySync({ name: "run", command: "hexdump" })
    .state;
  if (state !== "granted") return false;
  try {
    return new Deno.Command("hexdump", { args: ["-C"], stdin: "null" })
      .outputSync().success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
})();

/** The lines `hexdump -C -v` prints for `bytes`, without the total length. */
async function runHexdump(bytes: Uint8Array): Promise<string[]> {
  const child = new Deno.Command("hexdump", {
    args: ["-C", "-v"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const { success, stdout } = await child.output();
  assert(success, "hexdump failed");
  const lines = new TextDecoder().decode(stdout).split("\n");
  assertStrictEquals(lines.pop(), "", "hexdump output ends with a line feed");
  if (bytes.length > 0) {
    assertStrictEquals(lines.pop(), bytes.length.toString(16).padStart(8, "0"));
  }
  return lines;
}

Deno.test("hexDump() returns no lines for empty input", () => {
  assertEquals(hexDump(new Uint8Array()), []);
});

Deno.test("hexDump() pads a short line so the ASCII column aligns", () => {
  assertEquals(hexDump(encoder.encode("Hello, world!")), [
    "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21           |Hello, world!|",
  ]);
});

Deno.test("hexDump() fits exactly 16 bytes on one line", () => {
  assertEquals(hexDump(encoder.encode("0123456789abcdef")), [
    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
  ]);
});

Deno.test("hexDump() starts a second line at offset 00000010 for the 17th byte", () => {
  assertEquals(hexDump(encoder.encode("0123456789abcdefg")), [
    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
    "00000010  67                                                |g|",
  ]);
});

Deno.test("hexDump() writes 33 bytes as two full lines and one of a byte", () => {
  assertEquals(hexDump(counting(33)), [
    "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
    "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
    "00000020  20                                                | |",
  ]);
});

Deno.test("hexDump() pads a line that ends right after the first group of eight", () => {
  assertEquals(hexDump(encoder.encode("ABCDEFGH")), [
    "00000000  41 42 43 44 45 46 47 48                           |ABCDEFGH|",
  ]);
});

Deno.test("hexDump() shows every byte value like hexdump -C", () => {
  assertEquals(hexDump(counting(256)), ALL_BYTES_DUMP);
});

Deno.test("hexDump() never folds repeated lines into *", () => {
  assertEquals(hexDump(new Uint8Array(48)), [
    "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
    "00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
    "00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
  ]);
});

Deno.test("hexDump() dumps a view from its own start, not its buffer's", () => {
  const view = encoder.encode("xxHixx").subarray(2, 4);
  assertEquals(hexDump(view), [
    "00000000  48 69                                             |Hi|",
  ]);
});

Deno.test("hexDump() lines are all the same width", () => {
  const widths = new Set(
    hexDump(counting(100)).map((line) => line.indexOf("|")),
  );
  assertEquals([...widths], [60]);
});

Deno.test({
  name: "hexDump() matches the output of hexdump -C -v on this machine",
  ignore: !hexdumpAvailable,
  async fn(): Promise<void> {
    const inputs = [
      new Uint8Array(),
      encoder.encode("Hello, world!"),
      counting(8),
      counting(16),
      counting(17),
      counting(33),
      counting(256),
      new Uint8Array(48),
      counting(1000),
    ];
    for (const bytes of inputs) {
      assertEquals(
        hexDump(bytes),
        await runHexdump(bytes),
        `${bytes.length} bytes`,
      );
    }
  },
});
