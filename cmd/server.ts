/**
 * `server`: Beej's stream server. Every connection gets `Hello, world!` and
 * is closed; connections are served concurrently in one process.
 *
 * ```sh
 * deno task server [options]        # from a checkout
 * ./server [options]                # compiled (deno task compile)
 * ```
 *
 * @module
 */

import { accessList } from "../lib/access_list.ts";
import { DEFAULT_TCP_PORT } from "../lib/constants.ts";
import { describeError } from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { serveGreetingWorkers } from "../lib/greeting_workers.ts";
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

const HELP = `usage: server [options]

Listens on TCP port ${DEFAULT_TCP_PORT} (IPv6 and IPv4), sends "Hello, world!" to every
connection and closes it. SIGINT or SIGTERM stops accepting, lets the
connections in flight finish, and exits 0.

options:
  -p, --port N             listen on port N (0: any free port) [${DEFAULT_TCP_PORT}]
  -b, --bind ADDR          listen on ADDR only (an address or a name)
  -4, -6                   IPv4 only / IPv6 only
  -m, --message TEXT       send TEXT instead of "Hello, world!"
      --max-connections N  at most N greetings in flight; the rest wait
      --workers N          N accept loops on N threads sharing the port
                           (SO_REUSEPORT); under deno run they need
                           --allow-read for their module
      --allow CIDR         serve only peers in CIDR (repeatable)
      --deny CIDR          refuse peers in CIDR (repeatable; wins over --allow)
  -q, --quiet              no line per connection
  -v, --verbose            say where it listens and how it stops
      --json               one JSON object per event on stdout
  -h, --help               show this help
  -V, --version            show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  bind: { type: "string", short: "b" },
  message: { type: "string", short: "m" },
  "max-connections": { type: "string" },
  workers: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  allow: { type: "string", multiple: true },
  deny: { type: "string", multiple: true },
} as const;

/**
 * Run `server` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and what stops the server (for tests).
 * @returns The exit code: 0, or 1 when it cannot start.
 */
export async function main(
  args: string[],
  io: MainOptions = {},
): Promise<number> {
  const begun = await beginCommand("server", args, SPEC, io, HELP, true);
  if (begun.exit !== undefined) return begun.exit;
  const { out, values, positionals } = begun;
  try {
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    }
    const port = option(() => parsePort(values.port ?? `${DEFAULT_TCP_PORT}`));
    const family = familyOf(values);
    const maxConnections = values["max-connections"] === undefined
      ? undefined
      : option(() =>
        parseInteger(values["max-connections"]!, {
          name: "max-connections",
          min: 1,
        })
      );
    if (values.bind === "") throw new UsageError("Invalid bind address: empty");
    const quiet = values.quiet ?? false;
    const access = { allow: values.allow, deny: values.deny };
    option(() => accessList(access));
    const workers = values.workers === undefined
      ? 1
      : option(() =>
        parseInteger(values.workers!, { name: "workers", min: 1, max: 64 })
      );
    using stop = stopSignal(io.signal);
    const server = await serveGreetingWorkers({
      workers,
      access,
      port,
      hostname: values.bind,
      family,
      message: values.message,
      maxConnections,
      signal: stop.signal,
      onConnection: quiet ? undefined : (peer) => {
        const address = formatAddress(peer.hostname);
        if (out.json) out.event("connection", { address, port: peer.port });
        else out.line(`server: got connection from ${address}`);
      },
      onRefused: (peer) => {
        if (values.verbose) {
          out.status(`refused connection from ${formatAddress(peer.hostname)}`);
        }
      },
      onSendError: (_, error) => out.bare(`send: ${describeError(error)}`),
      onAcceptError: (error) =>
        out.bare(`accept: ${describeError(error)} (retrying)`),
    });
    const where = formatHostPort(server.addr.hostname, server.addr.port);
    out.line("server: waiting for connections...");
    out.event("listening", {
      address: server.addr.hostname,
      port: server.addr.port,
    });
    if (values.verbose || port === 0) out.status(`listening on ${where}`);
    await server.finished;
    if (values.verbose) out.status("stopped");
    out.flush();
    return 0;
  } catch (error) {
    return reportFailure(out, error, { message: "failed to bind", code: 1 });
  } finally {
    out.flush();
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
