/**
 * Read a stream connection until the peer closes it, with a cap on the bytes
 * kept and a limit on how long the peer may stay silent.
 *
 * @module
 */

import {
  checkFunction,
  checkOptions,
  checkPositiveInteger,
  checkSignal,
  checkTimeout,
  isThenable,
} from "./_check.ts";
import { joinChunks } from "./_join_chunks.ts";

/**
 * How many bytes {@linkcode readAll} keeps when `maxBytes` is not given:
 * 1 MiB, so that a peer cannot make it hold more than that unless the
 * caller asks for more.
 */
const DEFAULT_READ_LIMIT = 1_048_576;

/** Options for {@linkcode readAll}. */
export interface ReadAllOptions {
  /**
   * The most bytes kept: an integer of at least 1, or `Infinity` for no
   * limit. A peer that sends more is reported as `truncated`, and the rest
   * is left unread. Having kept exactly `maxBytes`, {@linkcode readAll}
   * reads once more, only to tell whether the peer sent more: that read
   * waits for the peer to close, to send, or for `idleTimeout`. The
   * default, 1 MiB, keeps a peer from filling the memory.
   *
   * @default {1048576}
   */
  maxBytes?: number;
  /**
   * Reject with a `DOMException` named `"TimeoutError"` when the peer sends
   * nothing for this many ms (more than 0, at most 2147483647) before
   * closing. It is timed per read, from the last data, not for the whole
   * stream. No limit by default. What arrived before the silence is not in
   * the rejection: take it with `onChunk`. One silence does not reject:
   * after exactly `maxBytes`, it resolves with them (`truncated: false`).
   */
  idleTimeout?: number;
  /**
   * Receives each chunk as it arrives (a copy it may keep); then nothing is
   * collected and `data` is empty. It may be async: a promise it returns is
   * awaited before the next read. What it throws or rejects with,
   * `readAll()` rejects with.
   */
  onChunk?: (chunk: Uint8Array<ArrayBuffer>) => void;
  /**
   * Stops reading: `readAll()` rejects with the signal's reason, at once if
   * it is already aborted. What arrived before went to `onChunk`; the read
   * still pending may hold more bytes, and fails once the caller closes the
   * reader.
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
  /**
   * The bytes read, at most `maxBytes` (empty when `onChunk` took them),
   * in an `ArrayBuffer` of their own: ready for `crypto.subtle.digest()`
   * or `new Blob()`.
   */
  data: Uint8Array<ArrayBuffer>;
  /** How many bytes were read and kept. */
  bytes: number;
  /** Whether the peer sent more than `maxBytes` (the rest was not read). */
  truncated: boolean;
}

const CHUNK_SIZE = 65_536;

/**
 * Read a stream connection until the peer closes it or sends more than
 * `maxBytes`, optionally giving up when the peer stays silent for
 * `idleTimeout` ms. Reads go into one 64 KiB buffer; each chunk kept is a
 * copy.
 *
 * Having kept exactly `maxBytes`, it reads once more, only to tell whether
 * the peer sent more. It resolves at the end of the stream (`truncated:
 * false`), at more data (`truncated: true`, the rest unread), or when
 * `idleTimeout` passes (`truncated: false`: it resolves, it does not
 * reject, and the bytes are kept). Without `idleTimeout` that read waits
 * as long as the peer keeps the connection open and silent.
 *
 * After a rejection (timeout, abort) or that last timed-out read, a read
 * is still pending on `reader` and may hold bytes: the connection cannot
 * be read again reliably. Close it.
 *
 * @param reader The connection to read; the caller closes it, also after
 *   a rejection (a read the timeout or the signal left pending fails then).
 * @param options The cap, the idle limit, a signal and an optional chunk
 *   callback.
 * @returns The bytes, their count, and whether the peer had sent more.
 * @throws {TypeError} When `reader` has no `read()` method or an option has
 *   the wrong type (a `maxBytes` that is not a number, a `signal` that is
 *   not an `AbortSignal`, an `onChunk` that is not a function).
 * @throws {RangeError} When `maxBytes` is not an integer of at least 1 nor
 *   `Infinity` (`NaN`, `1.5`, `0` and negative numbers are refused), or
 *   `idleTimeout` is not more than 0 and at most 2147483647.
 * @throws {DOMException} A `DOMException` named `"TimeoutError"` when the
 *   peer sent nothing for `idleTimeout` ms before `maxBytes` were kept;
 *   what arrived before went to `onChunk`.
 * @throws {unknown} The signal's reason, when `signal` aborts (an already
 *   aborted signal included); what `onChunk` throws; and what a read
 *   throws, for example when the peer resets (what arrived before went to
 *   `onChunk`).
 *
 * @example Read a greeting
 * ```ts
 * import { readAll } from "@beejnet/beejnet";
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
 *
 * @example A silent peer: the timeout, and what arrived before it
 * ```ts
 * import { readAll } from "@beejnet/beejnet";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ port: listener.addr.port });
 * using peer = await listener.accept();
 * await peer.write(new TextEncoder().encode("partial")); // then nothing
 * const arrived: string[] = [];
 * const decoder = new TextDecoder();
 * const error = await assertRejects(() =>
 *   readAll(conn, {
 *     idleTimeout: 100,
 *     onChunk: (chunk) => void arrived.push(decoder.decode(chunk)),
 *   })
 * );
 * conn.close(); // ends the read the timeout left pending
 * assertEquals((error as DOMException).name, "TimeoutError");
 * assertEquals(arrived.join(""), "partial");
 * ```
 *
 * @example Exactly maxBytes, then a silence: resolved, not rejected
 * ```ts
 * import { readAll } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ port: listener.addr.port });
 * using peer = await listener.accept();
 * await peer.write(new TextEncoder().encode("0123456789")); // stays open
 * const { bytes, truncated } = await readAll(conn, {
 *   maxBytes: 10,
 *   idleTimeout: 100,
 * });
 * conn.close(); // ends the read that looked for more
 * assertEquals([bytes, truncated], [10, false]);
 * ```
 */
export async function readAll(
  reader: Readable,
  options: ReadAllOptions = {},
): Promise<ReadAllResult> {
  if (typeof (reader as Partial<Readable> | null)?.read !== "function") {
    throw new TypeError("Invalid reader: must have a read() method");
  }
  checkOptions("readAll()", options);
  const { idleTimeout, signal, onChunk } = options;
  checkPositiveInteger("maxBytes", options.maxBytes, true);
  const maxBytes = options.maxBytes ?? DEFAULT_READ_LIMIT;
  checkTimeout("idleTimeout", idleTimeout);
  checkSignal(signal);
  checkFunction("onChunk", onChunk);
  signal?.throwIfAborted();
  // Loaded only for an idle limit or a signal: a one-shot client pays for
  // each module.
  const waits = idleTimeout === undefined && signal === undefined
    ? undefined
    : await import("./_abort.ts");
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const buffer = new Uint8Array(CHUNK_SIZE);
  let bytes = 0;
  let truncated = false;
  while (true) {
    signal?.throwIfAborted();
    let n: number | null;
    let readFailed = false;
    const reading = reader.read(buffer);
    try {
      n = waits === undefined
        ? await reading
        : idleTimeout !== undefined
        ? await waits.deadline(
          reading.catch((error) => {
            readFailed = true;
            throw error;
          }),
          idleTimeout,
          { signal },
        )
        : await waits.abortable(reading, signal!);
    } catch (error) {
      // A read that fails once the caller closed the reader on abort.
      if (signal?.aborted) throw signal.reason;
      // All of maxBytes came, and then a silence: the read was only to tell
      // whether the peer sent more, and it did not.
      if (
        bytes === maxBytes && idleTimeout !== undefined && !readFailed &&
        waits!.isTimeout(error)
      ) break;
      throw error;
    }
    if (n === null) break;
    const keep = Math.min(n, maxBytes - bytes);
    if (keep > 0) {
      const chunk = buffer.slice(0, keep);
      if (onChunk) {
        const called: unknown = onChunk(chunk);
        if (isThenable(called)) await called;
      } else chunks.push(chunk);
      bytes += keep;
    }
    if (keep < n) {
      truncated = true;
      break;
    }
  }
  return { data: joinChunks(chunks), bytes, truncated };
}
