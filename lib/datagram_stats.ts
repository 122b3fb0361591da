/**
 * Per-sender statistics of numbered datagrams: give it every datagram a
 * listener receives; it reads the numbered ones (see
 * {@linkcode readNumberedHeader}; end markers included), keeps a
 * {@linkcode SequenceStats} per sender address and port, and counts the
 * plain ones.
 *
 * @example Two senders and a plain datagram
 * ```ts
 * import { DatagramStats, numberedDatagram } from "@beejnet/beejnet";
 * import { assertEquals } from "@std/assert";
 *
 * const stats = new DatagramStats();
 * const a = { transport: "udp", hostname: "127.0.0.1", port: 1000 } as const;
 * const b = { ...a, port: 2000 };
 * stats.record(numberedDatagram({ seq: 0, sentAt: 0 }), a, 1);
 * stats.record(numberedDatagram({ seq: 1, sentAt: 0 }), a, 1);
 * stats.record(numberedDatagram({ seq: 3, sentAt: 0 }), b, 1);
 * stats.record(new TextEncoder().encode("hi"), a, 1);
 * assertEquals(stats.plain, 1);
 * assertEquals(
 *   stats.report().map((s) => [s.port, s.received, s.lost]),
 *   [[1000, 2, 0], [2000, 1, 3]],
 * );
 * ```
 *
 * @module
 */

import {
  type NumberedHeader,
  readNumberedHeader,
  wallClock,
} from "./numbered_datagram.ts";
import {
  type SequenceReport,
  SequenceStats,
  type SequenceStatsOptions,
} from "./sequence_stats.ts";

/** One sender's report: its address and port, and its counts. */
export interface SenderReport extends SequenceReport {
  /** The sender's address, as the socket gave it. */
  hostname: string;
  /** The sender's port. */
  port: number;
}

/** Options for {@linkcode DatagramStats}. */
export interface DatagramStatsOptions
  extends Omit<SequenceStatsOptions, "budget"> {
  /**
   * Senders tracked; numbered datagrams from further senders are only
   * counted, in {@linkcode DatagramStats.untracked}. @default {1024}
   */
  maxSenders?: number;
  /**
   * Bytes of sequence bitmaps all senders together may allocate (a full
   * window is 4 MiB). A sender whose gaps need more than is left gets
   * approximate counts. @default {67108864}
   */
  bitmapBytes?: number;
}

interface Sender {
  hostname: string;
  port: number;
  stats: SequenceStats;
}

/** Statistics of every sender's numbered datagrams, and a count of plain ones. */
export class DatagramStats {
  #senders = new Map<string, Sender>();
  #last: Sender | undefined;
  #plain = 0;
  #untracked = 0;
  #options: SequenceStatsOptions;
  #maxSenders: number;

  /**
   * Make an empty collection.
   *
   * @param options How many senders, delays and sequence numbers to keep.
   * @throws {RangeError} When `maxSenders` or `bitmapBytes` is not a
   *   non-negative integer, or an option of {@linkcode SequenceStats} is out
   *   of range.
   */
  constructor(options: DatagramStatsOptions = {}) {
    const { maxSenders = 1024, bitmapBytes = 64 * 1024 * 1024, ...rest } =
      options;
    if (!Number.isSafeInteger(maxSenders) || maxSenders < 0) {
      throw new RangeError(
        `Max senders "${maxSenders}" is not a non-negative integer`,
      );
    }
    if (!Number.isSafeInteger(bitmapBytes) || bitmapBytes < 0) {
      throw new RangeError(
        `Bitmap bytes "${bitmapBytes}" is not a non-negative integer`,
      );
    }
    // Checked now, not at the first sender's first datagram.
    new SequenceStats(rest);
    this.#options = { ...rest, budget: { bytes: bitmapBytes } };
    this.#maxSenders = maxSenders;
  }

  /** Plain datagrams seen (no numbered header). */
  get plain(): number {
    return this.#plain;
  }

  /** Numbered datagrams from senders beyond `maxSenders`. */
  get untracked(): number {
    return this.#untracked;
  }

  /**
   * Count one received datagram.
   *
   * @param data The datagram's bytes (read, not kept).
   * @param peer Its sender, as `Deno.DatagramConn.receive()` gives it: a
   *   `Deno.Addr` whose `transport` is `"udp"`.
   * @param arrivedAt Its arrival, ms since the Unix epoch.
   *   @default {wallClock()}
   * @returns Its header when it is numbered (an end marker's has `end`: it
   *   is no datagram of the run), else `undefined`.
   * @throws {TypeError} When `peer` is not a UDP address (a Unix socket's
   *   `"unixpacket"` address has no port to tell senders apart by).
   *
   * @example A plain datagram
   * ```ts
   * import { DatagramStats } from "@beejnet/beejnet";
   * import { assertEquals } from "@std/assert";
   *
   * const stats = new DatagramStats();
   * const peer = { transport: "udp", hostname: "::1", port: 9 } as const;
   * assertEquals(stats.record(new Uint8Array(30), peer, 0), undefined);
   * assertEquals(stats.report(), []);
   * ```
   */
  record(
    data: Uint8Array,
    peer: Deno.Addr,
    arrivedAt: number = wallClock(),
  ): NumberedHeader | undefined {
    if (peer?.transport !== "udp") {
      throw new TypeError(
        `Invalid peer: must be a "udp" address, not ${
          peer?.transport === undefined ? typeof peer : `"${peer.transport}"`
        }`,
      );
    }
    const header = readNumberedHeader(data);
    if (header === undefined) {
      this.#plain++;
      return undefined;
    }
    let sender = this.#last;
    if (
      sender === undefined || sender.port !== peer.port ||
      sender.hostname !== peer.hostname
    ) {
      const key = `${peer.hostname} ${peer.port}`;
      sender = this.#senders.get(key);
      if (sender === undefined) {
        if (this.#senders.size >= this.#maxSenders) {
          this.#untracked++;
          return header;
        }
        sender = {
          hostname: peer.hostname,
          port: peer.port,
          stats: new SequenceStats(this.#options),
        };
        this.#senders.set(key, sender);
      }
      this.#last = sender;
    }
    sender.stats.record(header, arrivedAt);
    return header;
  }

  /**
   * Every tracked sender's report, in the order their first datagram came.
   *
   * @returns One report per sender.
   *
   * @example No datagrams yet
   * ```ts
   * import { DatagramStats } from "@beejnet/beejnet";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new DatagramStats().report(), []);
   * ```
   */
  report(): SenderReport[] {
    return [...this.#senders.values()].map((sender) => ({
      hostname: sender.hostname,
      port: sender.port,
      ...sender.stats.report(),
    }));
  }
}
