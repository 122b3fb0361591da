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
import { BindError, describeError, ResolveError } from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { listenForDatagrams } from "../lib/datagram_listener.ts";
import { parseInteger, parsePort } from "../lib/parse_number.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  type MainOptions,
  option,
  Output,
  parseCommandLine,
  printDatagram,
  reportFailure,
  stopSignal,
  UsageError,
  versionLine,
} from "./_cli.ts";

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
  let out = new Output("listener", io);
  try {
    const { values, positionals } = parseCommandLine(args, SPEC);
    out = new Output("listener", io, values.json);
    if (values.help) return out.always(HELP), 0;
    if (values.version) return out.always(versionLine("listener")), 0;
    out = new Output("listener", io, values.json, true);
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
      out.event("error", {
        context: "recvfrom",
        message: describeError(error),
      });
      out.bare(`recvfrom: ${describeError(error)}`);
      return 1;
    }
    out.flush();
    return delivered < count && count !== Infinity ? 130 : 0;
  } catch (error) {
    if (error instanceof BindError) {
      for (const failure of error.failures) out.error("bind", failure.error);
      out.status("failed to bind socket");
      return 2;
    }
    if (error instanceof ResolveError) {
      out.event("error", { context: "getaddrinfo", message: error.message });
      out.bare(`getaddrinfo: ${error.message}`);
      return 1;
    }
    return reportFailure(out, error);
  } finally {
    out.flush();
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
