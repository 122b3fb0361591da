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

import type { Cidr } from "../lib/access_list.ts";
import { DEFAULT_TCP_PORT } from "./_defaults.ts";
import { describeError } from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { serveGreeting } from "../lib/greeting_server.ts";
import {
  bindFailure,
  command,
  type Failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  stopSignal,
  withFailures,
} from "./_cli.ts";
import { parseAccess } from "./_access.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  noPositionals,
  parseArgumentText,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseInteger,
} from "./_options.ts";

const HELP = `usage: server [options]

Listens on TCP port ${DEFAULT_TCP_PORT} (IPv6 and IPv4), sends "Hello, world!" to every
connection and closes it. SIGINT, SIGTERM or SIGHUP stops accepting, lets
the connections in flight finish, and exits 0.

options:
  -p, --port N             listen on port N (0: any free port) [${DEFAULT_TCP_PORT}]
  -b, --bind ADDR          listen on ADDR only (an address or a name)
  -4, -6                   IPv4 only / IPv6 only
  -m, --message TEXT       send TEXT instead of "Hello, world!"
      --max-connections N  at most N greetings in flight; the rest wait
      --workers N          N accept loops on N threads sharing the port
                           (SO_REUSEPORT); under a plain deno run they
                           need read access to their modules (deno task
                           server and the compiled server have it)
      --allow CIDR         serve only peers in CIDR (repeatable)
      --deny CIDR          refuse peers in CIDR (repeatable; wins over --allow)
  -q, --quiet              no line per connection
  -v, --verbose            say where it listens and how it stops
      --json               one JSON object per event on stdout
      --trace              each socket call as it happens, on stderr, in the
                           guide's words (under --json: trace events)
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

/** What `server` was asked to do. */
export interface ServerConfig {
  /** The port to listen on; 0 for any free port. */
  port: number;
  /** `-b`: the address or name to bind; both wildcards without it. */
  bind?: string;
  /** `-4`, `-6`, or `0` for both. */
  family: 0 | 4 | 6;
  /** `-m`: what each connection is sent instead of the greeting. */
  message?: string;
  /** `--max-connections`. */
  maxConnections?: number;
  /** `--workers`: accept loops, 1-64. */
  workers: number;
  /** `--allow` and `--deny`, parsed. */
  access: { allow: Cidr[]; deny: Cidr[] };
  /** `-q`: no line per connection. */
  quiet: boolean;
  /** `-v`. */
  verbose: boolean;
  /** `--json`. */
  json: boolean;
  /** `--trace`: each socket call, as it happens. */
  trace: boolean;
}

/**
 * Read `server`'s command line. Pure: no socket, no output.
 *
 * @throws {UsageError} For any mistake, with the line to print.
 */
export function parseServer(args: readonly string[]): ServerConfig | Info {
  const { values, positionals } = parseCommandLine(args, SPEC);
  const info = infoRequest("server", values, HELP);
  if (info) return info;
  noPositionals(positionals);
  return {
    port: parseBindPort(values.port ?? `${DEFAULT_TCP_PORT}`),
    family: familyOf(values),
    maxConnections: values["max-connections"] === undefined
      ? undefined
      : parseInteger(values["max-connections"], {
        name: "max-connections",
        min: 1,
      }),
    bind: parseBind(values.bind),
    message: values.message === undefined ? undefined : parseArgumentText(
      values.message,
      'Option "--message"',
      "give UTF-8 text",
    ),
    access: parseAccess(values),
    workers: values.workers === undefined
      ? 1
      : parseInteger(values.workers, { name: "workers", min: 1, max: 64 }),
    quiet: values.quiet ?? false,
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/** How each library error ends `server`: its lines and exit code. */
function failures(config: ServerConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    bindFailure(1, "failed to bind", config),
  ];
}

/**
 * Serve until SIGINT, SIGTERM or SIGHUP (or `io.signal`), or until stdout
 * cannot be written; then let the greetings in flight finish.
 *
 * @returns The exit code: 0; 1 when it cannot start or stdout cannot be
 *   written; 141 when stdout's reader went away.
 */
export async function runServer(
  config: ServerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { verbose, port } = config;
  const out = await Output.open("server", io, {
    json: config.json,
    batch: true,
  });
  return await withFailures(out, failures(config), async () => {
    using stop = stopSignal(out, io.signal);
    const server = await serveGreeting({
      port,
      hostname: config.bind,
      family: config.family,
      message: config.message,
      maxConnections: config.maxConnections,
      workers: config.workers,
      access: config.access,
      signal: stop.signal,
      onConnection: config.quiet ? undefined : (peer) => {
        const address = formatAddress(peer.hostname);
        out.event(
          "connection",
          { address, port: peer.port },
          `server: got connection from ${address}`,
        );
      },
      onRefused: verbose
        ? (peer) =>
          out.stderr(`refused connection from ${formatAddress(peer.hostname)}`)
        : undefined,
      onSendError: (_, error) =>
        out.stderrBare(`send: ${describeError(error)}`),
      onAcceptError: (error) =>
        out.stderrBare(`accept: ${describeError(error)} (retrying)`),
      trace: config.trace ? await out.tracer() : undefined,
    });
    const { hostname, port: bound } = server.addr;
    out.event(
      "listening",
      { address: hostname, port: bound },
      "server: waiting for connections...",
    );
    out.flush();
    // A stdout that cannot be written stops the server: no line says it
    // listens after the line that says why it stops.
    if ((verbose || port === 0) && !out.failed.aborted) {
      out.stderr(`listening on ${formatHostPort(hostname, bound)}`);
    }
    await server.finished;
    if (verbose) out.stderr("stopped");
    return 0;
  });
}

/**
 * Run `server` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and what stops the server (for tests).
 * @returns The exit code (see {@linkcode runServer}); 1 for bad usage.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command("server", args, io, parseServer, runServer);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
