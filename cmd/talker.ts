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

import { DEFAULT_UDP_PORT, MAX_UDP_PAYLOAD_IPV6 } from "../lib/constants.ts";
import { BindError } from "../lib/errors.ts";
import { parsePort, parseSeconds } from "../lib/parse_number.ts";
import { resolve } from "../lib/resolve.ts";
import { sendDatagram, SendError } from "../lib/send_datagram.ts";
import {
  beginCommand,
  COMMON_OPTIONS,
  familyOf,
  type MainOptions,
  option,
  reportFailure,
} from "./_cli.ts";
import { printDatagram } from "./_datagram.ts";

const HELP = `usage: talker hostname message [options]

Sends MESSAGE as one datagram to HOSTNAME on UDP port ${DEFAULT_UDP_PORT}. MESSAGE "-" reads
the datagram from standard input.

options:
  -p, --port N        send to port N [${DEFAULT_UDP_PORT}]
  -4, -6              IPv4 only / IPv6 only
  -w, --wait SECS     wait SECS seconds for one reply from the peer, and show it
  -v, --verbose       say where the datagram goes
      --json          one JSON object per event on stdout
  -h, --help          show this help
  -V, --version       show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  wait: { type: "string", short: "w" },
} as const;

/**
 * Run `talker` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes and where `-` reads from (for tests).
 * @returns The exit code: 0; 1 for bad usage, a name that does not resolve,
 *   a message too large, a failed send or no reply; 2 when no socket could
 *   be made.
 */
export async function main(
  args: string[],
  io: MainOptions = {},
): Promise<number> {
  const begun = await beginCommand("talker", args, SPEC, io, HELP);
  if (begun.exit !== undefined) return begun.exit;
  const { out, values, positionals } = begun;
  try {
    if (positionals.length !== 2) {
      out.bare("usage: talker hostname message");
      return 1;
    }
    const [host, text] = positionals as [string, string];
    const port = option(() => parsePort(values.port ?? `${DEFAULT_UDP_PORT}`));
    const family = familyOf(values);
    const replyTimeout = values.wait === undefined
      ? undefined
      : option(() => parseSeconds(values.wait!, "wait"));
    const addresses = await option(() => resolve(host, { family }));
    const message = text === "-"
      ? await readAtMost(
        io.stdin ?? Deno.stdin.readable,
        MAX_UDP_PAYLOAD_IPV6 + 1,
      )
      : new TextEncoder().encode(text);
    const sent = await option(() =>
      sendDatagram(addresses, message, {
        port,
        replyTimeout,
        onSocketError: (_, error) => out.error("socket", error),
        onSendError: (_, error) => out.error("sendto", error),
        onSent: (address, bytes) => {
          out.line(`talker: sent ${bytes} bytes to ${host}`);
          out.event("sent", { address: address.address, port, bytes });
          if (values.verbose) {
            out.status(`sent to ${address.address} port ${port}`);
          }
          out.flush();
        },
      })
    );
    if (sent.reply) {
      printDatagram(out, "talker", sent.reply.data, sent.reply.peer);
    }
    out.flush();
    return 0;
  } catch (error) {
    if (error instanceof BindError) {
      out.status("failed to create socket");
      return 2;
    }
    if (error instanceof SendError) return 1;
    return reportFailure(out, error);
  }
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
  const message = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    message.set(chunk, offset);
    offset += chunk.length;
  }
  return message;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
