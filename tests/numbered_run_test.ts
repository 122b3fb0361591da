/**
 * A run of numbered datagrams end to end, in one program: sendNumbered()'s
 * end markers and pacing, counted by DatagramStats as a receiver on the same
 * event loop reads them.
 *
 * @module
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { DatagramStats } from "../lib/datagram_stats.ts";
import { readNumberedHeader } from "../lib/numbered_datagram.ts";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { sendNumbered } from "../lib/send_numbered.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { bytes, deadline, udpSocket } from "./_util.ts";

const LOOPBACK4: ResolvedAddress = { address: "127.0.0.1", family: 4 };

/**
 * A socket on loopback that counts every datagram it reads, as a listener
 * in the same program would, until disposed.
 */
function countingReceiver(): AsyncDisposable & {
  port: number;
  stats: DatagramStats;
  datagrams: Uint8Array[];
  /** Resolves once `check` holds after a datagram, within the deadline. */
  until(check: () => boolean, what: string): Promise<void>;
} {
  const socket = udpSocket();
  const stats = new DatagramStats();
  const datagrams: Uint8Array[] = [];
  let wake = (): void => {};
  const reading = (async () => {
    try {
      for (;;) {
        const [data, peer] = await socket.receive();
        stats.record(data, peer as Deno.NetAddr);
        datagrams.push(data);
        wake();
      }
    } catch (error) {
      // Closing the socket ends a pending receive so.
      if (
        !(error instanceof Deno.errors.Interrupted ||
          error instanceof Deno.errors.BadResource)
      ) throw error;
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    stats,
    datagrams,
    until: (check, what) =>
      deadline(
        (async () => {
          while (!check()) {
            await new Promise<void>((resolve) => wake = resolve);
          }
        })(),
        what,
      ),
    async [Symbol.asyncDispose](): Promise<void> {
      socket.close();
      await reading;
    },
  };
}

Deno.test("sendNumbered() closes its run with three end markers: version-2 headers, then the run's count and plan", async () => {
  await using receiver = countingReceiver();
  const sent = await sendNumbered([LOOPBACK4], bytes("x"), {
    port: receiver.port,
    count: 4,
  });
  assertEquals([sent.sent, sent.failed, sent.endMarkers], [4, 0, 3]);
  await receiver.until(() => receiver.datagrams.length === 7, "7 datagrams");
  const headers = receiver.datagrams.map((d) => readNumberedHeader(d));
  assertEquals(headers.slice(0, 4).map((h) => [h?.seq, h?.version, h?.end]), [
    [0, 2, undefined],
    [1, 2, undefined],
    [2, 2, undefined],
    [3, 2, undefined],
  ]);
  for (const marker of headers.slice(4)) {
    assertEquals(marker?.end, { count: 4, planned: 4 });
  }
  const [report] = receiver.stats.report();
  assertEquals(
    [report!.received, report!.lost, report!.duplicated, report!.ended],
    [4, 0, 0, true],
  );
});

Deno.test("sendNumbered() stopped early says so in its end marker: the count it numbered, the count it planned", async () => {
  await using receiver = countingReceiver();
  const controller = new AbortController();
  const sending = sendNumbered([LOOPBACK4], bytes("x"), {
    port: receiver.port,
    count: 1000,
    interval: 5,
    signal: controller.signal,
  });
  await receiver.until(() => receiver.datagrams.length >= 3, "3 datagrams");
  controller.abort();
  const sent = await deadline(sending, "sendNumbered to stop");
  assert(sent.stopped);
  await receiver.until(
    () => receiver.stats.report()[0]!.ended,
    "the end marker",
  );
  const [report] = receiver.stats.report();
  assertEquals([report!.expected, report!.planned, report!.cutShort], [
    sent.sent,
    1000,
    true,
  ]);
  assertEquals(report!.lost, 0, "the unsent rest is not lost");
});

Deno.test("sendNumbered() with endMarkers 0 sends version-1 headers and no marker", async () => {
  await using receiver = countingReceiver();
  const sent = await sendNumbered([LOOPBACK4], bytes("x"), {
    port: receiver.port,
    count: 2,
    endMarkers: 0,
  });
  assertEquals(sent.endMarkers, 0);
  await receiver.until(() => receiver.datagrams.length === 2, "2 datagrams");
  assertEquals(
    receiver.datagrams.map((d) => readNumberedHeader(d)),
    receiver.datagrams.map((d, seq) => ({
      seq,
      sentAt: readNumberedHeader(d)!.sentAt,
    })),
  );
  assertEquals(receiver.stats.report()[0]!.endMarked, false);
});

Deno.test("sendNumbered() at its default pacing does not starve a receiver on the same event loop: 2000 datagrams, all counted", async () => {
  await using receiver = countingReceiver();
  const total = 2000;
  const sent = await deadline(
    sendNumbered([LOOPBACK4], bytes("same loop"), {
      port: receiver.port,
      count: total,
    }),
    "2000 datagrams at interval 0",
  );
  assertEquals([sent.sent + sent.failed, sent.endMarkers], [total, 3]);
  await receiver.until(
    () => receiver.stats.report()[0]?.ended ?? false,
    "the end marker",
  );
  const [report] = receiver.stats.report();
  const { received, lost, duplicated, expected, lostAtEnd } = report!;
  // The arithmetic holds whatever a loaded machine dropped...
  assertEquals(expected, total);
  assertEquals(received - duplicated + lost, total);
  assert(lostAtEnd <= lost);
  // ...and with a turn of the event loop after each burst of 32, the
  // receiver reads: without the turns it read 256 of 2000, what its socket
  // buffer held (a loaded machine may still cost it a few).
  assert(received >= total / 2, `received ${received} of ${total}`);
});

Deno.test("sendNumbered() refuses options out of range with RangeError before it makes a socket", async () => {
  const events: TraceEvent[] = [];
  for (
    const [options, message] of [
      [{ port: -1 }, 'Invalid port "-1": must be an integer 0-65535'],
      [{ port: 65_536 }, 'Invalid port "65536": must be an integer 0-65535'],
      [{ port: 1.5 }, 'Invalid port "1.5": must be an integer 0-65535'],
      [{ port: Number.NaN }, 'Invalid port "NaN": must be an integer 0-65535'],
      [{ count: 0 }, 'Invalid count "0": must be an integer 1-4294967296'],
      [
        { interval: -1 },
        'Invalid interval "-1": must be a finite number of ms, 0 or more',
      ],
      [{ interval: Number.NaN }, 'Invalid interval "NaN": must be a finite'],
      [{ interval: Infinity }, 'Invalid interval "Infinity": must be a finite'],
      [
        { burst: 0 },
        'Invalid burst "0": must be a positive integer or Infinity',
      ],
      [{ burst: 1.5 }, 'Invalid burst "1.5": must be a positive integer'],
      [{ size: 20.5 }, 'Invalid size "20.5": must be an integer 0 or more'],
      [
        { size: Number.NaN },
        'Invalid size "NaN": must be an integer 0 or more',
      ],
      [{ endMarkers: -1 }, 'Invalid endMarkers "-1": must be an integer 0-16'],
      [{ endMarkers: 17 }, 'Invalid endMarkers "17": must be an integer 0-16'],
      [
        { endMarkers: 0.5 },
        'Invalid endMarkers "0.5": must be an integer 0-16',
      ],
    ] as const
  ) {
    await assertRejects(
      () =>
        sendNumbered([LOOPBACK4], bytes("x"), {
          port: 9,
          ...options,
          trace: (event) => events.push(event),
        }),
      RangeError,
      message,
    );
  }
  assertEquals(events, [], "no socket was made");
});

Deno.test("sendNumbered() rejects with what onStart threw or rejected with, and stops the run", async () => {
  await using receiver = countingReceiver();
  const oops = new Error("onStart failed");
  for (
    const onStart of [
      () => {
        throw oops;
      },
      async () => {
        await Promise.resolve();
        throw oops;
      },
    ]
  ) {
    const error = await deadline(
      sendNumbered([LOOPBACK4], bytes("x"), {
        port: receiver.port,
        count: 5,
        onStart,
      }).catch((error: unknown) => error),
      "sendNumbered to reject",
    );
    // Before, the throw counted as a failed send and the run went on.
    assertEquals(error, oops);
  }
});
