/**
 * Checks that a file can serve `deno compile` as its runtime (`denort`) for
 * one target, before any build starts: a zip still to unzip, an empty file,
 * a program that is not a Deno runtime, or a runtime for another platform is
 * refused in one line instead of a backtrace or a broken executable.
 *
 * @module
 */

import { basename } from "node:path";

/** The targets `deno compile --target` builds for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}. */
export type Target = (typeof TARGETS)[number];

/**
 * Bytes every Deno runtime carries: the name of the section `deno compile`
 * writes the program into, which the runtime looks for when it starts
 * (denoland/deno, cli/standalone: `MAGIC_BYTES = b"d3n0l4nd"`). The deno
 * CLI carries them too; it is told apart by {@linkcode runtimeProblem}.
 */
const MARKER = new TextEncoder().encode("d3n0l4nd");

/** The runtime file of a target, as its zip unpacks: `denort` or `denort.exe`. */
export function runtimeFileName(target: Target): string {
  return target.includes("windows") ? "denort.exe" : "denort";
}

/** The runtime's download for a target, of the Deno version running this. */
export function runtimeZip(target: Target): string {
  return `denort-${target}.zip`;
}

/** Where Deno's release of the version running this lists its runtimes. */
export function releasePage(): string {
  return `https://github.com/denoland/deno/releases/tag/v${Deno.version.deno}`;
}

/**
 * Why `path` cannot be the runtime of `target`, as the end of a sentence
 * ("does not exist", "is a zip", …), or `undefined` when it can.
 *
 * @param path The file to check.
 * @param target The platform the executables are built for.
 * @returns The problem, or `undefined`.
 */
export async function runtimeProblem(
  path: string,
  target: Target,
): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "does not exist";
    throw error;
  }
  if (!info.isFile) return "is not a file";
  if (info.size === 0) return "is an empty file";
  if (await isDenoCli(path, info)) {
    return "is the deno CLI, not its runtime denort";
  }
  const head = await readHead(path, 4096);
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    return "is a zip";
  }
  const platform = executablePlatform(head);
  if (platform === undefined) {
    return "is not an executable, so not a Deno runtime";
  }
  if (!(await contains(path, MARKER))) return "is not a Deno runtime (denort)";
  if (platform !== target) {
    return `is a runtime for ${
      platform === "other" ? "another platform" : platform
    }, not ${target}`;
  }
  return undefined;
}

/** Whether `path` is the deno CLI running this: the same file, or its copy. */
async function isDenoCli(path: string, info: Deno.FileInfo): Promise<boolean> {
  const deno = await Deno.stat(Deno.execPath());
  return (await Deno.realPath(path)) ===
      (await Deno.realPath(Deno.execPath())) ||
    (info.ino !== null && info.dev === deno.dev && info.ino === deno.ino) ||
    info.size === deno.size || /^deno(\.exe)?$/.test(basename(path));
}

/** The first `size` bytes of a file (fewer if it is shorter). */
async function readHead(path: string, size: number): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

/**
 * The target an executable's header says it runs on: ELF (Linux), Mach-O
 * (macOS) or PE (Windows), with its CPU; `"other"` for an executable of a
 * platform or CPU no target has, `undefined` for no executable at all.
 */
export function executablePlatform(
  head: Uint8Array,
): Target | "other" | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u16 = (at: number): number | undefined =>
    at + 2 <= view.byteLength ? view.getUint16(at, true) : undefined;
  const u32 = (at: number): number | undefined =>
    at + 4 <= view.byteLength ? view.getUint32(at, true) : undefined;
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) { // ELF, little-endian machine
    const machine = u16(18);
    if (machine === 62) return "x86_64-unknown-linux-gnu";
    if (machine === 183) return "aarch64-unknown-linux-gnu";
    return "other";
  }
  if (startsWith(head, [0xcf, 0xfa, 0xed, 0xfe])) { // Mach-O 64-bit
    const cpu = u32(4);
    if (cpu === 0x01000007) return "x86_64-apple-darwin";
    if (cpu === 0x0100000c) return "aarch64-apple-darwin";
    return "other";
  }
  if (startsWith(head, [0x4d, 0x5a])) { // MZ, then the PE header
    const pe = u32(0x3c);
    if (pe === undefined || u32(pe) !== 0x00004550) return undefined;
    return u16(pe + 4) === 0x8664 ? "x86_64-pc-windows-msvc" : "other";
  }
  return undefined;
}

/** Whether the file holds `needle`, read in chunks (runtimes are ~100 MB). */
async function contains(path: string, needle: Uint8Array): Promise<boolean> {
  using file = await Deno.open(path);
  const chunk = new Uint8Array(1 << 20);
  let carry = new Uint8Array(0);
  while (true) {
    const n = await file.read(chunk);
    if (n === null) return false;
    const window = new Uint8Array(carry.length + n);
    window.set(carry);
    window.set(chunk.subarray(0, n), carry.length);
    if (indexOf(window, needle) !== -1) return true;
    carry = window.slice(Math.max(0, window.length - needle.length + 1));
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (
    let at = haystack.indexOf(first);
    at !== -1 && at + needle.length <= haystack.length;
    at = haystack.indexOf(first, at + 1)
  ) {
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}
