/**
 * Read a stream connection until the peer closes it, with a cap on the bytes
 * kept and a limit on how long the peer may stay silent.
 *
 * @module
 */

import { joinChunks } from "./_join_chunks.ts";
import { DEFAULT_MAX_BYTES } from "./constants.ts";

/** Options for {@linkcode readAll}. */
export interface ReadAllOptions {
  /** Stop after this many bytes; more is reported as `truncated`. @default {1048576} */
  maxBytes?: number;
  /** Fail when no data arrives for this many ms; none by default. */
  idleTimeout?: number;
  /** Receives each chunk as it arrives; then nothing is collected. */
  onChunk?: (chunk: Uint8Array) => void;
  /**
   * Stops reading: `readAll()` rejects with the signal's reason. The read
   * still pending fails once the caller closes the reader; what arrived
   * before went to `onChunk`.
   */
  signal?: AbortSignal;
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
 * @throws {Error} What a read throws, for example when the peer resets
 *   (what arrived before went to `onChunk`).
 * @throws {unknown} The signal's reason, when `signal` is aborted.
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
  const { idleTimeout, signal } = options;
  // Loaded only for an idle limit or a signal: a one-shot client pays for
  // each module.
  const deadline = idleTimeout === undefined
    ? undefined
    : (await import("@std/async/deadline")).deadline;
  const abortable = signal === undefined || deadline !== undefined
    ? undefined
    : (await import("@std/async/abortable")).abortable;
  while (true) {
    signal?.throwIfAborted();
    let n: number | null;
    const reading = reader.read(buffer);
    try {
      n = deadline !== undefined
        ? await deadline(reading, idleTimeout!, { signal })
        : abortable !== undefined
        ? await abortable(reading, signal!)
        : await reading;
    } catch (error) {
      if (signal?.aborted) {
        reading.catch(() => {}); // fails when the caller closes the reader
        throw signal.reason;
      }
      if (!(error instanceof DOMException && error.name === "TimeoutError")) {
        throw error;
      }
      // The read still pending fails when the caller closes the reader.
      reading.catch(() => {});
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
  return { data: await joinChunks(chunks), bytes, truncated, timedOut };
}
