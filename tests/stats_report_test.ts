/**
 * How `listener --stats` words its report (cmd/_stats.ts): a version-1
 * sender's lines as they always were, a version-2 sender's with how its run
 * ended.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { reportFields, reportLines } from "../cmd/_stats.ts";
import { DatagramStats } from "../lib/datagram_stats.ts";
import {
  numberedDatagram,
  numberedEndMarker,
} from "../lib/numbered_datagram.ts";

const peer: Deno.NetAddr = {
  transport: "udp",
  hostname: "127.0.0.1",
  port: 41234,
};
const context = { seconds: 1.5, plain: 0, untracked: 0, final: true };

/** The senders' reports after `seqs` (each sent at 0, arriving at 1). */
function reports(
  seqs: readonly number[],
  options: { version?: 2; end?: { count: number; planned: number } } = {},
): ReturnType<DatagramStats["report"]> {
  const stats = new DatagramStats();
  for (const seq of seqs) {
    stats.record(
      numberedDatagram({ seq, sentAt: 0, version: options.version }),
      peer,
      1,
    );
  }
  if (options.end) stats.record(numberedEndMarker(options.end, 0), peer, 1);
  return stats.report();
}

Deno.test("reportLines() words a version-1 sender's report as it always has", () => {
  assertEquals(reportLines("listener", reports([0, 2, 3]), context), [
    "listener: final report after 1.50 s",
    "listener: 127.0.0.1 port 41234, numbered 0-3",
    "listener:   received 3   lost 1 (25.00%)   reordered 0   duplicated 0",
    "listener:   delay    min 1.000   median 1.000   max 1.000 ms",
    "listener:   jitter   0.000 ms (RFC 3550)",
  ]);
  const [sender] = reportFields(reports([0, 2, 3]), context).senders as Record<
    string,
    unknown
  >[];
  assertEquals(Object.keys(sender!), [
    "address",
    "port",
    "received",
    "lost",
    "reordered",
    "duplicated",
    "highest",
    "approximate",
    "delay",
    "clocksDiffer",
    "jitter",
  ]);
});

Deno.test("reportLines() says how a version-2 run ended, the tail lost and the share over the whole run", () => {
  const ended = reports([0, 1, 2], {
    version: 2,
    end: { count: 5, planned: 5 },
  });
  assertEquals(reportLines("listener", ended, context).slice(1, 4), [
    "listener: 127.0.0.1 port 41234, numbered 0-2",
    "listener:   received 3   lost 2 (40.00%)   reordered 0   duplicated 0",
    "listener:   run of 5 ended: 2 lost after the last arrival",
  ]);
  const cut = reports([0, 1, 2], {
    version: 2,
    end: { count: 3, planned: 200 },
  });
  assertEquals(
    reportLines("listener", cut, context)[3],
    "listener:   run cut short at 3 of 200 by the sender: 0 lost after the last arrival",
  );
});

Deno.test("reportLines() says a version-2 run's end was not seen, in the final report and a periodic one", () => {
  const open = reports([0, 1], { version: 2 });
  assertEquals(
    reportLines("listener", open, context)[3],
    "listener:   end of run not seen (the listener stopped before it, or every end marker was lost): losses after 1 are not counted",
  );
  assertEquals(
    reportLines("listener", open, { ...context, final: false })[3],
    "listener:   end of run not seen yet",
  );
});

Deno.test("reportFields() adds ended, expected, planned, cutShort and lostAtEnd for a version-2 sender", () => {
  const fields = (r: ReturnType<typeof reports>): Record<string, unknown> => {
    const [sender] = reportFields(r, context).senders as Record<
      string,
      unknown
    >[];
    const { ended, expected, planned, cutShort, lostAtEnd, lost } = sender!;
    return { ended, expected, planned, cutShort, lostAtEnd, lost };
  };
  assertEquals(
    fields(reports([0, 1, 2], { version: 2, end: { count: 5, planned: 9 } })),
    {
      ended: true,
      expected: 5,
      planned: 9,
      cutShort: true,
      lostAtEnd: 2,
      lost: 2,
    },
  );
  assertEquals(fields(reports([0, 2], { version: 2 })), {
    ended: false,
    expected: null,
    planned: null,
    cutShort: false,
    lostAtEnd: 0,
    lost: 1,
  });
});
