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
import { DEFAULT_UDP_PORT } from "../lib/constants.ts";
import { BindError } from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import {
  command,
  during,
  type Failure,
  failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  stopSignal,
  withFailures,
} from "./_cli.ts";
import { datagramPrinter } from "./_datagram.ts";
import { parseAccess } from "./_access.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  noPositionals,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseInteger,
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
  -k, --keep         go on until SIGINT or SIGTERM
  -x, --hex          show each datagram as a hex dump
      --allow CIDR   keep only datagrams from CIDR (repeatable)
      --deny CIDR    drop datagrams from CIDR (repeatable; wins over --allow)
  -q, --quiet        no lines per datagram
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
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/** How each library error ends `listener`: its lines and exit code. */
const FAILURES: Failure[] = [
  RESOLVE_FAILURE,
  failure(BindError, 2, (out, error) => {
    for (const { error: cause } of error.failures) out.error("bind", cause);
    out.stderr("failed to bind socket");
  }),
];

/**
 * Receive `count` datagrams (or until SIGINT or SIGTERM with `-k`),
 * printing each.
 *
 * @returns The exit code: 0; 1 for a failed receive; 2 when the socket
 *   cannot be bound; 130 when stopped before `count` datagrams.
 */
export async function runListener(
  config: ListenerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { count, verbose, port } = config;
  // No batching timer: measured, the first use of the timer API slows every
  // later turn of the event loop enough to cost the listener a third of its
  // loss-free rate; a write per datagram costs it less (bench/README.md).
  const out = await Output.open("listener", io, { json: config.json });
  return await withFailures(out, FAILURES, async () => {
    const allowed = accessList(config.access);
    const print = config.quiet
      ? () => {}
      : await datagramPrinter(out, "listener", config.hex);
    using stop = stopSignal(io.signal);
    const listener = await listenForDatagrams({
      port,
      hostname: config.bind,
      family: config.family,
      count,
      signal: stop.signal,
      reuseBuffer: true,
      accept: allowed && ((peer) => allowed(peer.hostname)),
      onDatagram: print,
      trace: config.trace ? await out.tracer() : undefined,
      onRefused: verbose
        ? (peer, bytes) =>
          out.stderr(
            `dropped ${bytes} bytes from ${formatAddress(peer.hostname)}`,
          )
        : undefined,
    });
    const { hostname, port: bound } = listener.addr;
    out.event(
      "listening",
      { address: hostname, port: bound },
      "listener: waiting to recvfrom...",
    );
    if (verbose || port === 0) {
      out.stderr(`listening on ${formatHostPort(hostname, bound)}`);
    }
    const delivered = await during("recvfrom", listener.finished);
    return delivered < count && count !== Infinity ? 130 : 0;
  });
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
