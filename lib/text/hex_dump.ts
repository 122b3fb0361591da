/**
 * A canonical hex and ASCII dump of bytes, as `hexdump -C` prints it.
 *
 * Each line shows the offset of its first byte as eight hex digits, up to
 * sixteen bytes in hex, in two groups of eight, and the same bytes as
 * printable ASCII between bars, with a dot for every other byte. Unlike
 * `hexdump -C`, repeated lines are never folded into `*` (that is
 * `hexdump -C -v`) and no final line gives the total length.
 *
 * @example Dump a datagram
 * ```ts
 * import { hexDump } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const lines = hexDump(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * assertEquals(lines, [
 *   "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|",
 *   "00000010  0d 0a                                             |..|",
 * ]);
 * ```
 *
 * @module
 */

/** How many bytes each line shows. */
const BYTES_PER_LINE = 16;

/** Each byte value as two lowercase hex digits. */
const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);

/** Each byte value as it appears in the ASCII column. */
const ASCII: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : ".",
);

/**
 * Formats bytes as the lines of a canonical hex and ASCII dump, like
 * `hexdump -C -v` without its final line.
 *
 * A line is the offset as at least eight lowercase hex digits, two spaces,
 * sixteen bytes as hex pairs separated by spaces with one more space after
 * the eighth, two spaces, and the bytes between `|` bars, each printable
 * ASCII byte (0x20 to 0x7e) as itself and any other as `.`. The hex column
 * of a short last line is padded with spaces so that its ASCII column lines
 * up with the lines above. Since the ASCII column holds only printable ASCII,
 * the lines are safe to write to a terminal.
 *
 * @param bytes The bytes to dump.
 * @returns One string per sixteen bytes, without line terminators; no lines
 * for empty input.
 *
 * @example A short line is padded
 * ```ts
 * import { hexDump } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(hexDump(new TextEncoder().encode("Hello, world!")), [
 *   "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21           |Hello, world!|",
 * ]);
 * assertEquals(hexDump(new Uint8Array()), []);
 * ```
 */
export function hexDump(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += BYTES_PER_LINE) {
    const end = Math.min(offset + BYTES_PER_LINE, bytes.length);
    let hex = "";
    let ascii = "";
    for (let column = 0; column < BYTES_PER_LINE; column++) {
      const i = offset + column;
      if (column === 8) hex += " ";
      if (i < end) {
        const byte = bytes[i]!;
        hex += HEX[byte] + " ";
        ascii += ASCII[byte];
      } else {
        hex += "   ";
      }
    }
    lines.push(
      offset.toString(16).padStart(8, "0") + "  " + hex + " |" + ascii + "|",
    );
  }
  return lines;
}
