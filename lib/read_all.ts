/**
 * Read a stream connection until the peer closes it, with a cap on the bytes
 * kept and a limit on how long the peer may stay silent.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { DEFAULT_MAX_BYTES } from "./constants.ts";

/** Options for {@linkcode readAll}. */
export interface ReadAllOptions {
  /** Stop after this many bytes; more is reported as `truncated`. @default {1048576} */
  maxBytes?: number;
  /** Fail when no data arrives for this many ms; none by default. */
  idleTimeout?: number;
  /** Receives each chunk as it arrives; then nothing is collected. */
  onChunk?: (chunk: Uint8Array) => void;
}

/** Anything with a `read()` like `Deno.Conn`'s. */
export interface Readable {
  /** Read into `buffer`; resolve to the count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** What {@linkcode readAll} read. */
export interface ReadAllResult {
  /** The bytes read, at most `maxBytes` (empty when `onChunk` took them). */
  data: Uint8Array;
  /** How many bytes were read and kept. */
  bytes: number;
  /** Whether the peer sent more than `maxBytes` (the rest was not read). */
  truncated: boolean;
  /** Whether the peer went silent for `idleTimeout` ms before closing. */
  timedOut: boolean;
}

const CHUNK_SIZE = 65_536;

/**
 * Read until end of stream or until `maxBytes`, whichever comes first.
 *
 * @param reader The connection to read; the caller closes it.
 * @param options The cap, the idle limit and an optional chunk callback.
 * @returns The bytes, their count, whether the peer had sent more, and
 *   whether it went silent: what arrived before is kept either way.
 * @throws {Error} What a read throws, for example when the peer resets.
 *
 * @example Read a greeting
 * ```ts
 * import { readAll } from "./read_all.ts";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ port: listener.addr.port });
 * const peer = await listener.accept();
 * await peer.write(new TextEncoder().encode("Hello, world!"));
 * peer.close();
 * const { data, truncated } = await readAll(conn);
 * conn.close();
 * assertEquals(new TextDecoder().decode(data), "Hello, world!");
 * assertEquals(truncated, false);
 * ```
 */
export async function readAll(
  reader: Readable,
  options: ReadAllOptions = {},
): Promise<ReadAllResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(CHUNK_SIZE);
  let bytes = 0;
  let truncated = false;
  let timedOut = false;
  // Loaded only for an idle limit: a one-shot client pays for each module.
  const deadline = options.idleTimeout === undefined
    ? undefined
    : (await import("@std/async/deadline")).deadline;
  while (true) {
    let n: number | null;
    try {
      n = deadline === undefined
        ? await reader.read(buffer)
        : await deadline(reader.read(buffer), options.idleTimeout!);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "TimeoutError")) {
        throw error;
      }
      // The read still pending fails when the caller closes the reader.
      timedOut = true;
      break;
    }
    if (n === null) break;
    const keep = Math.min(n, maxBytes - bytes);
    if (keep > 0) {
      const chunk = buffer.slice(0, keep);
      if (options.onChunk) options.onChunk(chunk);
      else chunks.push(chunk);
      bytes += keep;
    }
    if (keep < n) {
      truncated = true;
      break;
    }
  }
  return { data: concat(chunks), bytes, truncated, timedOut };
}
