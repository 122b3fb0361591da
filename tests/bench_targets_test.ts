/**
 * The bench's targets (issue 16), from made-up measurements: relative to
 * Deno's floor measured in the same run and to Node net, never to a C peer,
 * which stays in the table as a reference without a target.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  clientRows,
  findings,
  type Measured,
  nothingMeasured,
  tcpRows,
  udpRows,
} from "../bench/_figures.ts";
import { type Row, verdict } from "../bench/_report.ts";
import type { ServerRun } from "../bench/_tcp.ts";
import type { ReceiverRun } from "../bench/_udp.ts";

const C_PEERS = ["C epoll", "C fork per connection", "C recv loop"];

/** A server run: `cps` connections/s at `cpu` cores of its own. */
function server(cps: number, cpu: number): ServerRun {
  return {
    throughput: { conns_per_s: cps, cpu_util: 0.9, errors: 0 } as ServerRun[
      "throughput"
    ],
    latency: { p50_us: 80, p99_us: 200 } as ServerRun["latency"],
    serverCpu: cpu,
    hwmKib: 60 * 1024,
  };
}

/** A receiver run: loss-free up to `max`/s, `lost` of 1,000 at the fixed rate. */
function receiver(max: number, lost = 0): ReceiverRun {
  return {
    maxLossFree: max,
    lossPct: lost / 10,
    trials: [{ asked: 1, rate: 1, sent: 1000, lost, foreign: 0 }],
  };
}

/** Three runs of the same. */
const thrice = <T>(run: T): T[] => [run, run, run];

function measured(): Measured {
  const m = nothingMeasured();
  m.tcp = new Map([
    // Per CPU-second: the server 26,000, the floor 30,000 (0.87×), Node
    // 17,000 (1.53×), C epoll 60,000.
    ["log", thrice(server(23_000, 23_000 / 26_000))],
    ["quiet", thrice(server(27_000, 0.9))],
    ["floor", thrice(server(27_000, 0.9))],
    ["node", thrice(server(17_000, 1))],
    ["epoll", thrice(server(38_000, 38_000 / 60_000))],
    ["fork", thrice(server(5_000, 1))],
  ]);
  m.serverLabels = new Map([
    ["log", "server, log → file"],
    ["quiet", "server --quiet"],
    ["floor", "Deno floor (Deno.listen loop)"],
    ["node", "Node net"],
    ["epoll", "C epoll"],
    ["fork", "C fork per connection"],
  ]);
  m.emptyRssKib = 29 * 1024;
  m.udp = new Map([
    ["file", thrice(receiver(34_000, 5))],
    ["quiet", thrice(receiver(40_000, 3))],
    ["stats", thrice(receiver(35_000, 4))],
    ["floor", thrice(receiver(40_000, 3))],
    ["c", thrice(receiver(390_000))],
  ]);
  m.udpHalf = {
    rate: 20_000,
    runs: new Map([
      ["file", [receiver(0, 0), receiver(0, 7), receiver(0, 0)]],
      ["quiet", thrice(receiver(0, 0))],
      ["stats", [receiver(0, 2), receiver(0, 1), receiver(0, 0)]],
      ["floor", thrice(receiver(0, 0))],
    ]),
  };
  m.receiverLabels = new Map([
    ["file", "listener --keep, output → file"],
    ["quiet", "listener --keep --quiet"],
    ["stats", "listener --keep --stats --quiet"],
    ["floor", "Deno floor (receive loop)"],
    ["c", "C recv loop"],
  ]);
  m.client = new Map([
    ["empty", { medianMs: 20, runs: 30 }],
    ["ip", { medianMs: 30, runs: 30 }],
  ]);
  m.clientLabels = new Map([
    ["empty", "empty `deno run`"],
    ["ip", "client 127.0.0.1"],
  ]);
  return m;
}

/** The rows with a target, as "figure | target peer: verdict". */
function targets(rows: Row[]): string[] {
  return rows.filter((r) => r.target).map((r) =>
    `${r.figure} | ${r.target?.text}${r.peer ? ` ${r.peer}` : ""}: ${
      verdict(r)
    }`
  );
}

Deno.test("bench tcpRows(): per server CPU-second, ≥ 0.85× the floor and ≥ 1.5× Node, nothing else", () => {
  const rows = tcpRows(measured());
  assertEquals(targets(rows), [
    "server, log → file | ≥ 0.85× Deno floor (Deno.listen loop): PASS",
    "server, log → file | ≥ 1.5× Node net: PASS",
  ]);
  for (const r of rows.filter((r) => r.target)) {
    assertEquals(r.section, "TCP, connections per server CPU-second");
  }
  // The C peers stay as reference rows.
  assert(rows.some((r) => r.peer === "C epoll" && r.unit === "conns/s"));
  assert(rows.some((r) => r.peer === "C fork per connection"));
});

Deno.test("bench tcpRows(): a server below 0.85× the floor per CPU-second misses", () => {
  const m = measured();
  m.tcp!.set("log", thrice(server(23_000, 23_000 / 25_000)));
  assertEquals(
    targets(tcpRows(m))[0],
    "server, log → file | ≥ 0.85× Deno floor (Deno.listen loop): MISS",
  );
});

Deno.test("bench udpRows(): loss-free rates against the floor, 0 lost at half its rate; the C loop without a target", () => {
  const rows = udpRows(measured(), 50_000);
  assertEquals(targets(rows), [
    // Median of the three runs: file 0, 7, 0 → 0; stats 2, 1, 0 → 1.
    "listener --keep, output → file | 0 lost Deno floor (receive loop): PASS",
    "listener --keep --quiet | 0 lost Deno floor (receive loop): PASS",
    "listener --keep --stats --quiet | 0 lost Deno floor (receive loop): MISS",
    "listener --keep --quiet | ≥ 1.0× Deno floor (receive loop): PASS",
    "listener --keep, output → file | ≥ 0.85× Deno floor (receive loop): PASS",
    "listener --keep --stats --quiet | ≥ 0.9× Deno floor (receive loop): MISS",
  ]);
  assert(
    rows.some((r) =>
      r.section.startsWith("UDP, half the floor's loss-free rate (20,000")
    ),
  );
  const againstC = rows.filter((r) => C_PEERS.includes(r.peer));
  assert(againstC.length > 0);
  assertEquals(againstC.filter((r) => r.target), []);
});

Deno.test("bench udpRows(): without the half-rate trials, the 0-lost targets are not measured", () => {
  const m = measured();
  m.udpHalf = undefined;
  const zero = udpRows(m, 50_000).filter((r) => r.target?.text === "0 lost");
  assertEquals(zero.length, 3);
  for (const r of zero) assertEquals(verdict(r), "n/a");
});

Deno.test("bench clientRows(): the wall time is a reference row", () => {
  const wall = clientRows(measured()).filter((r) =>
    r.section === "Client one-shot wall time"
  );
  assertEquals(wall.length, 1);
  assertEquals(wall[0]!.target, undefined);
});

Deno.test("bench findings(): the floor against the C loop, and what each run lost at half the floor's rate", () => {
  const text = findings(measured()).join("\n");
  assert(
    text.includes("loss-free up to 40,000/s, 0.10× the C loop's 390,000/s"),
    text,
  );
  assert(
    text.includes(
      "listener --keep, output → file 0, 7, 0; listener --keep --quiet 0, 0, 0",
    ),
    text,
  );
  assert(
    text.includes(
      "the server is 0.87× the bare Deno.listen loop (target ≥ 0.85×) and 1.53× Node net (target ≥ 1.5×)",
    ),
    text,
  );
});
