/**
 * `talker`: Beej's datagram "client". Sends MESSAGE as one datagram to HOST
 * on UDP port 4950.
 *
 * ```sh
 * deno task talker HOST MESSAGE [options]   # from a checkout
 * ./talker HOST MESSAGE [options]           # compiled (deno task compile)
 * ```
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { DEFAULT_UDP_PORT, MAX_UDP_PAYLOAD_IPV6 } from "../lib/constants.ts";
import {
  type AddressFailure,
  BindError,
  MessageSizeError,
  SendError,
  TimeoutError,
} from "../lib/errors.ts";
import { resolve } from "../lib/resolve.ts";
import { sendDatagram } from "../lib/send_datagram.ts";
import {
  command,
  type Failure,
  failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  withFailures,
} from "./_cli.ts";
import { datagramPrinter } from "./_datagram.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  parseCommandLine,
  parseDestinationPort,
  parseHost,
  parseSeconds,
  UsageError,
} from "./_options.ts";

const HELP = `usage: talker hostname message [options]

Sends MESSAGE as one datagram to HOSTNAME on UDP port ${DEFAULT_UDP_PORT}. MESSAGE "-" reads
the datagram from standard input.

options:
  -p, --port N        send to port N (1-65535) [${DEFAULT_UDP_PORT}]
  -4, -6              IPv4 only / IPv6 only
  -w, --wait SECS     wait SECS seconds for one reply from the peer, and show it
  -v, --verbose       say where the datagram goes
      --json          one JSON object per event on stdout
      --trace         each socket call as it happens, on stderr, in the
                      guide's words (under --json: trace events)
  -h, --help          show this help
  -V, --version       show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  wait: { type: "string", short: "w" },
} as const;

/** What `talker` was asked to do. */
export interface TalkerConfig {
  /** The host as typed: a name or an address. */
  host: string;
  /** The message as typed; `"-"` reads it from stdin. */
  message: string;
  /** The port to send to, 1-65535. */
  port: number;
  /** `-4`, `-6`, or `0` for both. */
  family: 0 | 4 | 6;
  /** `-w`: wait this many ms for a reply. */
  replyTimeout?: number;
  /** `-v`. */
  verbose: boolean;
  /** `--json`. */
  json: boolean;
  /** `--trace`: each socket call, as it happens. */
  trace: boolean;
}

/**
 * Read `talker`'s command line. Pure: no socket, no output.
 *
 * @throws {UsageError} For any mistake, with the line to print.
 */
export function parseTalker(args: readonly string[]): TalkerConfig | Info {
  const { values, positionals } = parseCommandLine(args, SPEC);
  const info = infoRequest("talker", values, HELP);
  if (info) return info;
  if (positionals.length !== 2) {
    throw new UsageError("usage: talker hostname message", { bare: true });
  }
  return {
    host: parseHost(positionals[0]!),
    message: positionals[1]!,
    port: parseDestinationPort(values.port ?? `${DEFAULT_UDP_PORT}`),
    family: familyOf(values),
    replyTimeout: values.wait === undefined
      ? undefined
      : parseSeconds(values.wait, "wait"),
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/** `talker: socket: REASON` or `talker: sendto: REASON` for each address. */
function reportFailures(out: Output, list: readonly AddressFailure[]): void {
  for (const { error, call } of list) out.error(call, error);
}

/** How each library error ends `talker`: its lines and exit code. */
const FAILURES: Failure[] = [
  RESOLVE_FAILURE,
  failure(BindError, 2, (out, error) => {
    reportFailures(out, error.failures);
    out.stderr("failed to create socket");
  }),
  failure(SendError, 1, (out, error) => reportFailures(out, error.failures)),
  failure(MessageSizeError, 1, (out, error) => out.error(undefined, error)),
  failure(TimeoutError, 1, (out, error) => out.error(undefined, error)),
];

/**
 * Send the datagram; with `-w`, wait for one reply and show it.
 *
 * @returns The exit code: 0; 1 for a name that does not resolve, a message
 *   too large, a failed send or no reply; 2 when no socket could be made.
 */
export async function runTalker(
  config: TalkerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { host, port } = config;
  const out = await Output.open("talker", io, { json: config.json });
  return await withFailures(out, FAILURES, async () => {
    const trace = config.trace ? await out.tracer() : undefined;
    const addresses = await resolve(host, { family: config.family, trace });
    const message = config.message === "-"
      ? await readAtMost(
        io.stdin ?? Deno.stdin.readable,
        MAX_UDP_PAYLOAD_IPV6 + 1,
      )
      : new TextEncoder().encode(config.message);
    const sent = await sendDatagram(addresses, message, {
      port,
      replyTimeout: config.replyTimeout,
      trace,
      onSent: ({ address }, bytes, failures) => {
        reportFailures(out, failures);
        out.event(
          "sent",
          { address, port, bytes },
          `talker: sent ${bytes} bytes to ${host}`,
        );
        if (config.verbose) out.stderr(`sent to ${address} port ${port}`);
        out.flush();
      },
    });
    if (sent.reply) {
      const print = await datagramPrinter(out, "talker");
      print(sent.reply.data, sent.reply.peer);
    }
    return 0;
  });
}

/** Read a stream whole, but stop once it holds more than `limit` bytes. */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel();
  }
  return concat(chunks);
}

/**
 * Run `talker` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and where `-` reads from (for tests).
 * @returns The exit code (see {@linkcode runTalker}); 1 for bad usage.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command("talker", args, io, parseTalker, runTalker);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
