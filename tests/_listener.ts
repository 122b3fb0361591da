// Helpers shared by the listener's test files (tests/listener_test.ts,
// tests/listener_stats_test.ts, tests/listener_process_test.ts,
// tests/stalled_stdout_test.ts): start it in process, send it datagrams,
// plain or numbered, read its lines and reports, and the bad command lines.

import { assert } from "@std/assert";
import { main } from "../cmd/listener.ts";
import { numberedDatagram, wallClock } from "../lib/numbered_datagram.ts";
import {
  bytes,
  closing,
  deadline,
  type InProcess,
  listeningPort,
  runInProcess,
  udpSocket,
} from "./_util.ts";

export const WAITING = "listener: waiting to recvfrom...";

/** Start the listener in process; resolve once it says where it listens. */
export async function start(
  args: string[],
): Promise<InProcess & { port: number }> {
  const run = runInProcess(main, args);
  const port = await Promise.race([
    listeningPort(run.stderr),
    run.code.then((code) => {
      throw new Error(
        `listener exited ${code} before listening: ${run.stderr.text}`,
      );
    }),
  ]);
  return { ...run, port };
}

/** Send one datagram from a fresh socket on `from`; the sender's port. */
export async function send(
  port: number,
  data: Uint8Array,
  from = "127.0.0.1",
): Promise<number> {
  using socket = closing(udpSocket(from));
  await deadline(
    socket.send(data, { transport: "udp", hostname: from, port }),
    "a datagram to be sent",
  );
  return (socket.addr as Deno.NetAddr).port;
}

/** Wait for the in-process listener to exit by itself; its exit code. */
export function exited(run: InProcess): Promise<number> {
  return deadline(run.code, "the listener to exit");
}

/** The three lines Beej's listener prints for a datagram. */
export function packetLines(
  from: string,
  length: number,
  shown: string,
): string[] {
  return [
    `listener: got packet from ${from}`,
    `listener: packet is ${length} bytes long`,
    `listener: packet contains "${shown}"`,
  ];
}

/** Bad command lines, each with the one line it must print. */
export const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus"], /^listener: unknown option "--bogus"$/],
  [["-z"], /^listener: unknown option "-z"$/],
  [["-p"], /^listener: option "-p" needs a value$/],
  [["-p", "65536"], /^listener: invalid port "65536": must be 0-65535$/],
  [["-p", "-1"], /^listener: invalid port "-1"/],
  [["-p", "4950x"], /^listener: invalid port "4950x"/],
  [
    ["--keep", "--count", "2"],
    /^listener: options "--keep" and "--count" cannot be used together$/,
  ],
  [["--count", "0"], /^listener: invalid count "0"/],
  [["-c", "x"], /^listener: invalid count "x"/],
  [["-4", "-6"], /^listener: options "-4" and "-6" cannot be used together$/],
  [["extra"], /^listener: unexpected argument "extra"$/],
  [["-b", ""], /^listener: invalid bind address: empty$/],
  // -b is checked as client and talker check a host, one escaped line.
  [["-b", "a b"], /^listener: invalid host "a b": not a host name$/],
  [
    ["-b", "1.2.3.4:5"],
    /^listener: invalid host "1\.2\.3\.4:5": not a name or address; give the port with --port$/,
  ],
  [["-b", "::1%"], /^listener: invalid host "::1%": not a name or address/],
  [["-b", "*"], /^listener: invalid host "\*": not a host name$/],
  [["-b", "a\nb"], /^listener: invalid host "a\\nb": not a host name$/],
  [
    ["-b", "\x1b[31mred"],
    /^listener: invalid host "\\x1b\[31mred": not a host name$/,
  ],
  [["--stats"], /^listener: option "--stats" needs "--count" or "--keep"$/],
  [
    ["-c", "5", "--stats-interval", "1"],
    /^listener: option "--stats-interval" needs "--stats"$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "0"],
    /^listener: invalid stats interval "0": must be positive: at least 0\.001 and at most 86400 seconds$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "soon"],
    /^listener: invalid stats interval "soon": not a plain number of seconds \(such as 2 or 0\.5\)$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "0.0001"],
    /^listener: invalid stats interval "0\.0001": must be at least 0\.001 and at most 86400 seconds$/,
  ],
  [
    ["-k", "--stats", "--stats-interval", "1e6"],
    /^listener: invalid stats interval "1e6": not a plain number of seconds \(such as 2 or 0\.5\)$/,
  ],
  [["-k", "--stats=yes"], /^listener: option "--stats" takes no value/],
  [
    ["-k", "--stats-interval"],
    /^listener: option "--stats-interval" needs a value$/,
  ],
];

/** A socket that sends numbered datagrams to the listener, `using` closes it. */
export function numberedSender(): Deno.DatagramConn & Disposable & {
  port: number;
  sendSeq(
    to: number,
    seq: number,
    options?: { payload?: string; sentAt?: number },
  ): Promise<void>;
} {
  const socket = closing(udpSocket("127.0.0.1"));
  return Object.assign(socket, {
    port: (socket.addr as Deno.NetAddr).port,
    async sendSeq(
      to: number,
      seq: number,
      options: { payload?: string; sentAt?: number } = {},
    ): Promise<void> {
      const data = numberedDatagram(
        { seq, sentAt: options.sentAt ?? wallClock() },
        bytes(options.payload ?? ""),
      );
      await deadline(
        socket.send(data, {
          transport: "udp",
          hostname: "127.0.0.1",
          port: to,
        }),
        "a datagram to be sent",
      );
    },
  });
}

/** A report line's numbers: `received 4   lost 1 (20.00%)   ...` → [4, 1, ...]. */
export function counts(line: string | undefined): number[] {
  const match = line?.match(
    /^listener: {3}received (\d+) {3}lost (\d+) \([\d.]+%\) {3}reordered (\d+) {3}duplicated (\d+)$/,
  );
  assert(match, `not a counts line: ${line}`);
  return match.slice(1).map(Number);
}
