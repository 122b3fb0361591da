// Private to cmd/: `server` (cmd/server.ts is its entry) — its options, how
// its command line is read, its exit codes, and its run.

import type { Cidr } from "../lib/access_list.ts";
import { DEFAULT_TCP_PORT } from "./_defaults.ts";
import {
  BindError,
  describeError,
  ResolveError,
  UnstableNetError,
} from "../lib/errors.ts";
import { formatAddress, formatHostPort } from "../lib/format_address.ts";
import { serveGreeting } from "../lib/greeting_server.ts";
import { parseAccess } from "./_access.ts";
import {
  type Help,
  type Info,
  infoRequest,
  type MainOptions,
  type Tool,
} from "./_command.ts";
import {
  DONE,
  exit,
  type ExitCode,
  INFO,
  READER_GONE_EXIT,
  STDOUT_FAILED,
} from "./_exit_codes.ts";
import {
  bindFailure,
  type Failure,
  failure,
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
  parseArgumentText,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseInteger,
  UsageError,
} from "./_options.ts";
import { BatchedOutput } from "./_batched_output.ts";
import { needsUnstableNet } from "./_udp.ts";
import { stopSignal } from "./_signals.ts";

/** `server`'s help, besides its options and exit codes. */
export const HELP: Help = {
  usage: "server [options]",
  about:
    `Listens on TCP port ${DEFAULT_TCP_PORT} (IPv6 and IPv4), sends "Hello, world!" to every
connection and closes it. SIGINT, SIGTERM or SIGHUP stops accepting, lets
the connections in flight finish, and exits 0.`,
  column: 27,
};

/** `server`'s options, in the order of its help. */
export const OPTIONS = {
  port: {
    short: "p",
    value: "N",
    help: "listen on port N (0: any free port)",
    default: `${DEFAULT_TCP_PORT}`,
  },
  bind: {
    short: "b",
    value: "ADDR",
    help: "listen on ADDR only (an address or a name)",
  },
  ...FAMILY_OPTIONS,
  message: {
    short: "m",
    value: "TEXT",
    help: 'send TEXT instead of "Hello, world!"',
  },
  "max-connections": {
    value: "N",
    help: "at most N greetings in flight; the rest wait",
  },
  workers: {
    value: "N",
    help: "N accept loops on N threads sharing the port\n" +
      "(SO_REUSEPORT); under a plain deno run they\n" +
      "need read access to their modules (deno task\n" +
      "server and the compiled server have it)",
  },
  allow: {
    value: "CIDR",
    multiple: true,
    help: "serve only peers in CIDR (repeatable)",
  },
  deny: {
    value: "CIDR",
    multiple: true,
    help: "refuse peers in CIDR (repeatable; wins over --allow)",
  },
  quiet: { short: "q", help: "no line per connection" },
  verbose: { short: "v", help: "say where it listens and how it stops" },
  ...OUTPUT_OPTIONS,
  ...INFO_OPTIONS,
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
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const info = infoRequest(values);
  if (info) return info;
  noPositionals(positionals);
  return {
    port: parseBindPort(values.port ?? OPTIONS.port.default),
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

/** Every exit code `server` returns, and what leads to it. */
export const EXIT_CODES: readonly ExitCode[] = [
  exit(
    0,
    "stopped by SIGINT, SIGTERM or SIGHUP, the greetings in flight\n" +
      "finished (also --help, --version)",
    DONE,
    INFO,
  ),
  exit(
    1,
    "a usage mistake, a name that does not resolve, no address\n" +
      "bound, --workers without Deno's --unstable-net, a permission\n" +
      "refused, or a stdout that cannot be written",
    UsageError,
    ResolveError,
    BindError,
    UnstableNetError,
    PERMISSION,
    STDOUT_FAILED,
  ),
  READER_GONE_EXIT,
];

/** How each library error ends `server`: its lines. */
function failures(config: ServerConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    bindFailure("failed to bind", config),
    // SO_REUSEPORT, which --workers needs, is behind --unstable-net.
    failure(
      UnstableNetError,
      (out) => out.error(undefined, needsUnstableNet("--workers")),
    ),
  ];
}

/**
 * Serve until SIGINT, SIGTERM or SIGHUP (or `io.signal`), or until stdout
 * cannot be written; then let the greetings in flight finish.
 *
 * @returns The exit code, from {@linkcode EXIT_CODES}.
 */
export async function runServer(
  config: ServerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { verbose, port } = config;
  const out = await BatchedOutput.open("server", io, {
    json: config.json,
    batch: true,
  });
  return await withFailures(out, EXIT_CODES, failures(config), async () => {
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
    return DONE;
  });
}

/** `server`, as cmd/server.ts's `main()` runs it. */
export const SERVER: Tool<ServerConfig> = {
  name: "server",
  help: HELP,
  options: OPTIONS,
  exits: EXIT_CODES,
  parse: parseServer,
  run: runServer,
};
