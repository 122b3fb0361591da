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

import { accessList } from "../lib/access_list.ts";
import { DEFAULT_UDP_PORT } from "../lib/constants.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import { parseInteger, parsePort } from "../lib/parse_number.ts";
import {
  beginCommand,
  COMMON_OPTIONS,
  familyOf,
  type MainOptions,
  option,
  reportFailure,
  stopSignal,
  UsageError,
} from "./_cli.ts";
import { printDatagram } from "./_datagram.ts";

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

/**
 * Run `listener` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and what stops the listener (for tests).
 * @returns The exit code: 0; 1 for bad usage or a failed receive; 2 when the
 *   socket cannot be bound; 130 when stopped before `--count` datagrams.
 */
export async function main(
  args: string[],
  io: MainOptions = {},
): Promise<number> {
  // No batching timer: measured, the first use of the timer API slows every
  // later turn of the event loop enough to cost the listener a third of its
  // loss-free rate; a write per datagram costs it less (bench/README.md).
  const begun = await beginCommand("listener", args, SPEC, io, HELP);
  if (begun.exit !== undefined) return begun.exit;
  const { out, values, positionals } = begun;
  try {
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    }
    const port = option(() => parsePort(values.port ?? `${DEFAULT_UDP_PORT}`));
    const family = familyOf(values);
    if (values.keep && values.count !== undefined) {
      throw new UsageError(
        'Options "--keep" and "--count" cannot be used together',
      );
    }
    const count = values.keep
      ? Infinity
      : values.count === undefined
      ? 1
      : option(() => parseInteger(values.count!, { name: "count", min: 1 }));
    if (values.bind === "") throw new UsageError("Invalid bind address: empty");
    const quiet = values.quiet ?? false;
    const allowed = option(() =>
      accessList({ allow: values.allow, deny: values.deny })
    );
    using stop = stopSignal(io.signal);
    const listener = await listenForDatagrams({
      port,
      hostname: values.bind,
      family,
      count,
      signal: stop.signal,
      reuseBuffer: true,
      accept: allowed && ((peer) => allowed(peer.hostname)),
      onDatagram: quiet
        ? () => {}
        : (data, peer) =>
          printDatagram(out, "listener", data, peer, values.hex),
      onRefused: (peer, bytes) => {
        if (values.verbose) {
          out.status(
            `dropped ${bytes} bytes from ${formatAddress(peer.hostname)}`,
          );
        }
      },
    });
    out.line("listener: waiting to recvfrom...");
    out.event("listening", {
      address: listener.addr.hostname,
      port: listener.addr.port,
    });
    if (values.verbose || port === 0) {
      out.status(
        `listening on ${
          formatHostPort(listener.addr.hostname, listener.addr.port)
        }`,
      );
    }
    let delivered: number;
    try {
      delivered = await listener.finished;
    } catch (error) {
      out.perror("recvfrom", error);
      return 1;
    }
    return delivered < count && count !== Infinity ? 130 : 0;
  } catch (error) {
    return reportFailure(out, error, {
      message: "failed to bind socket",
      code: 2,
    });
  } finally {
    out.flush();
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
