// Private to cmd/: `listener` (cmd/listener.ts is its entry) — its options,
// how its command line is read, its exit codes, and its run.

import { accessList, type Cidr } from "../lib/access_list.ts";
import { DEFAULT_UDP_PORT } from "./_defaults.ts";
import { BindError, ResolveError, UnstableNetError } from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import { parseAccess } from "./_access.ts";
import {
  type Help,
  type Info,
  infoRequest,
  type MainOptions,
  type Tool,
} from "./_command.ts";
import {
  checkUdp,
  type DatagramPrinter,
  datagramPrinter,
  numberedPrinter,
  UDP_FAILURE,
} from "./_datagram.ts";
import {
  DONE,
  exit,
  type ExitCode,
  INFO,
  READER_GONE_EXIT,
  STDOUT_FAILED,
  stoppedExits,
} from "./_exit_codes.ts";
import {
  bindFailure,
  CallError,
  during,
  type Failure,
  PERMISSION,
  RESOLVE_FAILURE,
  withFailures,
} from "./_failures.ts";
import {
  FAMILY_OPTIONS,
  familyOf,
  INFO_OPTIONS,
  noPositionals,
  OUTPUT_OPTIONS,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";
import { BatchedOutput } from "./_batched_output.ts";
import { stopSignal } from "./_signals.ts";

/** `listener`'s help, besides its options and exit codes. */
export const HELP: Help = {
  usage: "listener [options]",
  about:
    `Waits on UDP port ${DEFAULT_UDP_PORT} (IPv6 and IPv4) for a datagram and prints who sent it,
its length and its contents (control characters escaped).`,
  column: 21,
};

/** `listener`'s options, in the order of its help. */
export const OPTIONS = {
  port: {
    short: "p",
    value: "N",
    help: "listen on port N (0: any free port)",
    default: `${DEFAULT_UDP_PORT}`,
  },
  bind: {
    short: "b",
    value: "ADDR",
    help: "listen on ADDR only (an address or a name)",
  },
  ...FAMILY_OPTIONS,
  count: {
    short: "c",
    value: "N",
    help: "stop after N datagrams",
    default: "1",
  },
  keep: { short: "k", help: "go on until SIGINT, SIGTERM or SIGHUP" },
  hex: { short: "x", help: "show each datagram as a hex dump" },
  allow: {
    value: "CIDR",
    multiple: true,
    help: "keep only datagrams from CIDR (repeatable)",
  },
  deny: {
    value: "CIDR",
    multiple: true,
    help: "drop datagrams from CIDR (repeatable; wins over --allow)",
  },
  quiet: { short: "q", help: "no lines per datagram" },
  stats: {
    help: "count numbered datagrams (talker --count) per sender:\n" +
      "lost, reordered, duplicated, delay and jitter, reported\n" +
      "at the end (needs --count or --keep)",
  },
  "stats-interval": {
    value: "S",
    help: "with --stats, report every S seconds too",
  },
  verbose: { short: "v", help: "say where it listens" },
  ...OUTPUT_OPTIONS,
  ...INFO_OPTIONS,
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
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const info = infoRequest(values);
  if (info) return info;
  noPositionals(positionals);
  const port = parseBindPort(values.port ?? OPTIONS.port.default);
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
    count: values.keep ? Infinity : parseInteger(
      values.count ?? OPTIONS.count.default,
      { name: "count", min: 1 },
    ),
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

/** Every exit code `listener` returns, and what leads to it. */
export const EXIT_CODES: readonly ExitCode[] = [
  exit(
    0,
    "the datagrams asked for arrived, or -k ended by a signal\n" +
      "(also --help, --version)",
    DONE,
    INFO,
  ),
  exit(
    1,
    "a usage mistake, a name that does not resolve, a failed\n" +
      "receive, a permission refused, or a stdout that cannot be\n" +
      "written",
    UsageError,
    ResolveError,
    CallError,
    PERMISSION,
    STDOUT_FAILED,
  ),
  exit(
    2,
    "the socket cannot be bound, or Deno runs without UDP\n(--unstable-net)",
    BindError,
    UnstableNetError,
  ),
  ...stoppedExits("it before the datagrams asked for arrived"),
  READER_GONE_EXIT,
].sort((a, b) => a.code - b.code);

/** How each library error ends `listener`: its lines. */
function failures(config: ListenerConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    UDP_FAILURE,
    bindFailure("failed to bind socket", config),
  ];
}

/**
 * Receive `count` datagrams (or until SIGINT, SIGTERM or SIGHUP with `-k`),
 * printing each.
 *
 * @returns The exit code, from {@linkcode EXIT_CODES}.
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
  const out = await BatchedOutput.open("listener", io, {
    json: config.json,
    pipeline: true,
  });
  return await withFailures(out, EXIT_CODES, failures(config), async () => {
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
    // Lines per datagram: the output's tick armed before the ready line, not
    // at the first datagram.
    if (!config.quiet) out.prepare();
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
    return delivered < count && count !== Infinity ? stop.outcome : DONE;
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
  out: BatchedOutput,
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

/** `listener`, as cmd/listener.ts's `main()` runs it. */
export const LISTENER: Tool<ListenerConfig> = {
  name: "listener",
  help: HELP,
  options: OPTIONS,
  exits: EXIT_CODES,
  parse: parseListener,
  run: runListener,
};
