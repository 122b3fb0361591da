/**
 * The release archives: a `.tar.gz` (ustar, gzip) or a `.zip` (deflate) of
 * one directory of executables, and SHA-256 sums. Written with what Deno
 * itself has (`CompressionStream`, `crypto.subtle`); no `tar` or `zip`
 * program is needed, so the same script builds releases on every platform.
 *
 * @module
 */

import { basename, join } from "node:path";

/** One file of an archive: its path inside, and where it is read from. */
export interface ArchiveEntry {
  /** The path inside the archive, `/`-separated. */
  name: string;
  /** The file on disk. */
  path: string;
}

/** Archives `dir` as `<basename(dir)>/<file>` for each file in it, sorted. */
export async function entriesOf(dir: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) {
      entries.push({
        name: `${basename(dir)}/${entry.name}`,
        path: join(dir, entry.name),
      });
    }
  }
  return entries.sort((a, b) => a.name < b.name ? -1 : 1);
}

/**
 * Writes a gzip-compressed ustar archive: one directory entry for the
 * files' common folder, then each file with mode 0755.
 *
 * @param output The `.tar.gz` to write.
 * @param entries The files, each named as inside the archive.
 */
export async function writeTarGz(
  output: string,
  entries: ArchiveEntry[],
): Promise<void> {
  const dirs = [
    ...new Set(entries.map((e) => e.name.split("/").slice(0, -1).join("/"))),
  ].filter((dir) => dir !== "");
  async function* blocks(): AsyncGenerator<Uint8Array<ArrayBuffer>> {
    for (const dir of dirs) {
      yield tarHeader(`${dir}/`, 0, Date.now() / 1000, "5");
    }
    for (const entry of entries) {
      const info = await Deno.stat(entry.path);
      const mtime = (info.mtime?.getTime() ?? Date.now()) / 1000;
      yield tarHeader(entry.name, info.size, mtime, "0");
      using file = await Deno.open(entry.path);
      let size = 0;
      for await (const chunk of file.readable) {
        size += chunk.length;
        yield chunk;
      }
      if (size !== info.size) throw new Error(`${entry.path} changed size`);
      if (size % 512 !== 0) yield new Uint8Array(512 - (size % 512));
    }
    yield new Uint8Array(1024); // two zero blocks end the archive
  }
  const body = ReadableStream.from(blocks()).pipeThrough(
    new CompressionStream("gzip"),
  );
  await using file = await Deno.open(output, { write: true, createNew: true });
  await body.pipeTo(file.writable);
}

/** One 512-byte ustar header; `type` "0" a file, "5" a directory. */
function tarHeader(
  name: string,
  size: number,
  mtime: number,
  type: "0" | "5",
): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(512);
  const encoder = new TextEncoder();
  const put = (at: number, length: number, text: string): void => {
    const bytes = encoder.encode(text);
    if (bytes.length > length) throw new RangeError(`Too long: "${text}"`);
    header.set(bytes, at);
  };
  const octal = (value: number, length: number): string =>
    Math.floor(value).toString(8).padStart(length - 1, "0");
  put(0, 100, name);
  put(100, 8, octal(0o755, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(mtime, 12));
  put(148, 8, "        "); // the checksum counts its own field as spaces
  put(156, 1, type);
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, 8, `${octal(sum, 7)}\0 `);
  return header;
}

/**
 * Writes a zip archive, each file deflated (executables for Windows).
 *
 * @param output The `.zip` to write.
 * @param entries The files, each named as inside the archive.
 */
export async function writeZip(
  output: string,
  entries: ArchiveEntry[],
): Promise<void> {
  await using file = await Deno.open(output, { write: true, createNew: true });
  const writer = file.writable.getWriter();
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for (const entry of entries) {
    const data = await Deno.readFile(entry.path);
    const info = await Deno.stat(entry.path);
    const compressed = new Uint8Array(
      await new Response(
        new Blob([data]).stream().pipeThrough(
          new CompressionStream("deflate-raw"),
        ),
      ).arrayBuffer(),
    );
    const name = encoder.encode(entry.name);
    const crc = crc32(data);
    const [time, date] = dosTime(info.mtime ?? new Date());
    if (data.length >= 0xffffffff || offset >= 0xffffffff) {
      throw new RangeError("A file over 4 GiB needs zip64");
    }
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    local.setUint16(6, 0x0800, true); // UTF-8 names
    local.setUint16(8, 8, true); // deflate
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressed.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, name.length, true);
    await writer.write(new Uint8Array(local.buffer));
    await writer.write(name);
    await writer.write(compressed);
    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, (3 << 8) | 20, true); // made by: Unix, 2.0
    record.setUint16(6, 20, true);
    record.setUint16(8, 0x0800, true);
    record.setUint16(10, 8, true);
    record.setUint16(12, time, true);
    record.setUint16(14, date, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, compressed.length, true);
    record.setUint32(24, data.length, true);
    record.setUint16(28, name.length, true);
    record.setUint32(38, (0o100755 << 16) >>> 0, true); // a regular file, 0755
    record.setUint32(42, offset, true);
    central.push(new Uint8Array(record.buffer), name);
    offset += 30 + name.length + compressed.length;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  for (const part of central) await writer.write(part);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  await writer.write(new Uint8Array(end.buffer));
  await writer.close();
}

/** MS-DOS time and date of a moment, as zip stores them (local time). */
function dosTime(date: Date): [number, number] {
  const year = Math.max(1980, date.getFullYear());
  return [
    (date.getHours() << 11) | (date.getMinutes() << 5) |
    (date.getSeconds() >> 1),
    ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  ];
}

let crcTable: Uint32Array | undefined;

/** The CRC-32 (IEEE 802.3) of `data`, as zip stores it. */
export function crc32(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The SHA-256 of a file, in lowercase hex. */
export async function sha256Hex(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
}
