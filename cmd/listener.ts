/**
 * `listener`: Beej's datagram "server". Waits on UDP port 4950 and prints
 * who sent each datagram, its length and its contents.
 *
 * ```sh
 * deno task listener [options]      # from a checkout
 * ./listener [options]              # compiled (deno task compile)
 * ```
 *
 * @module
 */

import { accessList, type Cidr } from "../lib/access_list.ts";
import { DEFAULT_UDP_PORT } from "./_defaults.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import {
  bindFailure,
  command,
  during,
  type Failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  stopSignal,
  withFailures,
} from "./_cli.ts";
import {
  checkUdp,
  type DatagramPrinter,
  datagramPrinter,
  numberedPrinter,
  UDP_FAILURE,
} from "./_datagram.ts";
import { parseAccess } from "./_access.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  noPositionals,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";

const HELP = `usage: listener [options]

Waits on UDP port ${DEFAULT_UDP_PORT} (IPv6 and IPv4) for a datagram and prints who sent it,
its length and its contents (control characters escaped).

options:
  -p, --port N       listen on port N (0: any free port) [${DEFAULT_UDP_PORT}]
  -b, --bind ADDR    listen on ADDR only (an address or a name)
  -4, -6             IPv4 only / IPv6 only
  -c, --count N      stop after N datagrams [1]
  -k, --keep         go on until SIGINT, SIGTERM or SIGHUP
  -x, --hex          show each datagram as a hex dump
      --allow CIDR   keep only datagrams from CIDR (repeatable)
      --deny CIDR    drop datagrams from CIDR (repeatable; wins over --allow)
  -q, --quiet        no lines per datagram
      --stats        count numbered datagrams (talker --count) per sender:
                     lost, reordered, duplicated, delay and jitter, reported
                     at the end (needs --count or --keep)
      --stats-interval S
                     with --stats, report every S seconds too
  -v, --verbose      say where it listens
      --json         one JSON object per event on stdout
      --trace        each socket call as it happens, on stderr, in the
                     guide's words (under --json: trace events)
  -h, --help         show this help
  -V, --version      show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  bind: { type: "string", short: "b" },
  count: { type: "string", short: "c" },
  keep: { type: "boolean", short: "k" },
  hex: { type: "boolean", short: "x" },
  quiet: { type: "boolean", short: "q" },
  stats: { type: "boolean" },
  "stats-interval": { type: "string" },
  allow: { type: "string", multiple: true },
  deny: { type: "string", multiple: true },
} as const;

/** What `listener` was asked to do. */
export interface ListenerConfig {
  /** The port to listen on; 0 for any free port. */
  port: number;
  /** `-b`: the address or name to bind; both wildcards without it. */
  bind?: string;
  /** `-4`, `-6`, or `0` for both. */
  family: 0 | 4 | 6;
  /** How many datagrams before it exits; `Infinity` with `-k`. */
  count: number;
  /** `-x`: hex dumps. */
  hex: boolean;
  /** `--allow` and `--deny`, parsed. */
  access: { allow: Cidr[]; deny: Cidr[] };
  /** `-q`: no lines per datagram. */
  quiet: boolean;
  /** `--stats`: statistics of numbered datagrams, reported at the end. */
  stats: boolean;
  /** `--stats-interval`: also report every this many ms. */
  statsInterval?: number;
  /** `-v`. */
  verbose: boolean;
  /** `--json`. */
  json: boolean;
  /** `--trace`: each socket call, as it happens. */
  trace: boolean;
}

/**
 * Read `listener`'s command line. Pure: no socket, no output.
 *
 * @throws {UsageError} For any mistake, with the line to print.
 */
export function parseListener(
  args: readonly string[],
): ListenerConfig | Info {
  const { values, positionals } = parseCommandLine(args, SPEC);
  const info = infoRequest("listener", values, HELP);
  if (info) return info;
  noPositionals(positionals);
  const port = parseBindPort(values.port ?? `${DEFAULT_UDP_PORT}`);
  const family = familyOf(values);
  if (values.keep && values.count !== undefined) {
    throw new UsageError(
      'Options "--keep" and "--count" cannot be used together',
    );
  }
  const stats = values.stats ?? false;
  if (stats && !values.keep && values.count === undefined) {
    throw new UsageError('Option "--stats" needs "--count" or "--keep"');
  }
  const interval = values["stats-interval"];
  if (interval !== undefined && !stats) {
    throw new UsageError('Option "--stats-interval" needs "--stats"');
  }
  return {
    port,
    family,
    count: values.keep
      ? Infinity
      : values.count === undefined
      ? 1
      : parseInteger(values.count, { name: "count", min: 1 }),
    bind: parseBind(values.bind),
    access: parseAccess(values),
    hex: values.hex ?? false,
    quiet: values.quiet ?? false,
    stats,
    statsInterval: interval === undefined
      ? undefined
      : parseSeconds(interval, "stats interval"),
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/** How each library error ends `listener`: its lines and exit code. */
function failures(config: ListenerConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    UDP_FAILURE,
    bindFailure(2, "failed to bind socket", config),
  ];
}

/**
 * Receive `count` datagrams (or until SIGINT, SIGTERM or SIGHUP with `-k`),
 * printing each.
 *
 * @returns The exit code: 0; 1 for a failed receive; 2 when the socket
 *   cannot be bound; 128 + N when signal N stopped it before `count`
 *   datagrams (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP); 1 when
 *   stdout cannot be written, 141 when its reader went away.
 */
export async function runListener(
  config: ListenerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { count, verbose, port } = config;
  // No batching timer: measured, the first use of the timer API slows every
  // later turn of the event loop enough to cost the listener a third of its
  // loss-free rate (bench/README.md). Lines gathered to 16 KiB instead, one
  // write in flight, and one interval armed only while lines wait.
  const out = await Output.open("listener", io, {
    json: config.json,
    pipeline: true,
  });
  return await withFailures(out, failures(config), async () => {
    checkUdp();
    const allowed = accessList(config.access);
    const print = config.quiet
      ? () => {}
      : await datagramPrinter(out, "listener", config.hex);
    const counting = config.stats
      ? await statsCounter(out, config, print)
      : undefined;
    using stop = stopSignal(out, io.signal);
    const listener = await listenForDatagrams({
      port,
      hostname: config.bind,
      family: config.family,
      count,
      signal: stop.signal,
      reuseBuffer: true,
      accept: allowed && ((peer) => allowed(peer.hostname)),
      onDatagram: counting?.onDatagram ?? print,
      trace: config.trace ? await out.tracer() : undefined,
      onRefused: verbose
        ? (peer, bytes) =>
          out.stderr(
            `dropped ${bytes} bytes from ${formatAddress(peer.hostname)}`,
          )
        : undefined,
    });
    const { hostname, port: bound } = listener.addr;
    if (!(config.stats && config.quiet)) {
      out.event(
        "listening",
        { address: hostname, port: bound },
        "listener: waiting to recvfrom...",
      );
      // At once: it is what a user (or a script) waits for.
      out.flush();
    }
    if (verbose || port === 0) {
      out.stderr(`listening on ${formatHostPort(hostname, bound)}`);
    }
    using _reporting = counting?.start();
    const delivered = await during("recvfrom", listener.finished);
    counting?.report(true);
    // Stopped before its count, as the reference would be killed by the
    // signal: 128 + N. With -k stopping is how it ends.
    return delivered < count && count !== Infinity ? stop.exitCode : 0;
  });
}

/** What `--stats` adds to a run: the counting callback and the reports. */
interface StatsCounter {
  /** Counts each datagram, then shows it as `print` or as a numbered one. */
  onDatagram: DatagramPrinter;
  /** Start the clock (and the `--stats-interval` timer, stopped on dispose). */
  start(): Disposable;
  /** Print the report: every sender's counts so far. */
  report(final: boolean): void;
}

/**
 * The `--stats` part of a run, loaded only then: the listener's path without
 * it stays the guide's, with nothing added per datagram.
 */
async function statsCounter(
  out: Output,
  config: ListenerConfig,
  print: DatagramPrinter,
): Promise<StatsCounter> {
  const [{ DatagramStats }, { reportFields, reportLines }] = await Promise.all(
    [import("../lib/datagram_stats.ts"), import("./_stats.ts")],
  );
  const show = config.quiet
    ? undefined
    : await numberedPrinter(out, "listener", config.hex);
  const stats = new DatagramStats();
  let started = performance.now();
  const report = (final: boolean): void => {
    const senders = stats.report();
    const context = {
      seconds: (performance.now() - started) / 1000,
      plain: stats.plain,
      untracked: stats.untracked,
      final,
    };
    // The final report is never dropped behind a stalled reader, as a
    // datagram's lines may be; a periodic one may be, like them: kept, every
    // `--stats-interval` would grow the backlog without bound.
    out.event(
      "stats",
      reportFields(senders, context),
      reportLines("listener", senders, context).join("\n"),
      { keep: final },
    );
    out.flush();
  };
  return {
    onDatagram: (data, peer) => {
      const header = stats.record(data, peer);
      if (show === undefined) return;
      if (header === undefined) print(data, peer);
      else if (header.end) {
        // A version-2 run's end marker: how long the run was, not a datagram of it.
        const address = formatAddress(peer.hostname);
        const { count, planned } = header.end;
        out.event(
          "end",
          { address, port: peer.port, count, planned },
          `listener: got end of run from ${address}: ${count} numbered of ${planned}`,
        );
      } else show(data, header.seq, header.sentAt, peer);
    },
    start: () => {
      started = performance.now();
      const every = config.statsInterval;
      const timer = every === undefined
        ? undefined
        : setInterval(() => report(false), every);
      return { [Symbol.dispose]: () => clearInterval(timer) };
    },
    report,
  };
}

/**
 * Run `listener` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and what stops the listener (for tests).
 * @returns The exit code (see {@linkcode runListener}); 1 for bad usage.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command("listener", args, io, parseListener, runListener);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
