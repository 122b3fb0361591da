/**
 * `client`: Beej's stream client. Connects to HOST on port 3490, trying every
 * address the name resolves to, and prints what the server sends until it
 * closes the connection.
 *
 * ```sh
 * deno task client HOST [options]   # from a checkout
 * ./client HOST [options]           # compiled (deno task compile)
 * ```
 *
 * @module
 */

import { DEFAULT_MAX_BYTES, DEFAULT_TCP_PORT } from "../lib/constants.ts";
import { ConnectError } from "../lib/errors.ts";
import { escapeBytes } from "../lib/escape.ts";
import { formatAddress } from "../lib/format_address.ts";
import { connectFirst } from "../lib/happy_eyeballs.ts";
import { parseInteger, parsePort, parseSeconds } from "../lib/parse_number.ts";
import { readAll } from "../lib/read_all.ts";
import { resolve } from "../lib/resolve.ts";
import {
  beginCommand,
  COMMON_OPTIONS,
  familyOf,
  type MainOptions,
  option,
  reportFailure,
  UsageError,
} from "./_cli.ts";

const HELP = `usage: client hostname [options]

Connects to HOSTNAME on TCP port ${DEFAULT_TCP_PORT}, trying each address it resolves to
(IPv6 and IPv4 raced, as RFC 8305 says), and prints what the server sends.

options:
  -p, --port N          connect to port N [${DEFAULT_TCP_PORT}]
  -4, -6                IPv4 only / IPv6 only
  -w, --timeout SECS    give up a connect, or a silence, after SECS seconds
      --max-bytes N     read at most N bytes [${DEFAULT_MAX_BYTES}]
      --raw             write only the bytes received to stdout, unmodified
  -v, --verbose         say each address tried
      --json            one JSON object per event on stdout
  -h, --help            show this help
  -V, --version         show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  timeout: { type: "string", short: "w" },
  "max-bytes": { type: "string" },
  raw: { type: "boolean" },
} as const;

/**
 * Run `client` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes (for tests).
 * @returns The exit code: 0; 1 for bad usage, a name that does not resolve
 *   or a failed read; 2 when no address accepted the connection.
 */
export async function main(
  args: string[],
  io: MainOptions = {},
): Promise<number> {
  const begun = await beginCommand("client", args, SPEC, io, HELP);
  if (begun.exit !== undefined) return begun.exit;
  const { out, values, positionals } = begun;
  try {
    if (positionals.length !== 1) {
      out.bare("usage: client hostname");
      return 1;
    }
    const host = positionals[0]!;
    const port = option(() => parsePort(values.port ?? `${DEFAULT_TCP_PORT}`));
    const family = familyOf(values);
    const timeout = values.timeout === undefined
      ? undefined
      : option(() => parseSeconds(values.timeout!));
    const maxBytes = values["max-bytes"] === undefined
      ? DEFAULT_MAX_BYTES
      : option(() =>
        parseInteger(values["max-bytes"]!, { name: "max-bytes", min: 1 })
      );
    const raw = values.raw ?? false;
    if (raw && values.json) {
      throw new UsageError(
        'Options "--raw" and "--json" cannot be used together',
      );
    }
    const addresses = await option(() => resolve(host, { family }));

    const { conn, address } = await connectFirst(addresses, {
      port,
      timeout,
      onAttempt: (a) => {
        if (values.verbose) out.status(`trying ${a.address} port ${port}`);
      },
      onFailure: (_, error) => out.error("connect", error),
    });
    try {
      const connecting = `client: connecting to ${
        formatAddress(address.address)
      }`;
      if (raw) out.status(connecting.slice("client: ".length));
      else out.line(connecting);
      out.event("connection", { address: address.address, port });
      const result = await readAll(conn, {
        maxBytes,
        idleTimeout: timeout,
        onChunk: raw ? (chunk) => out.raw(chunk) : undefined,
      });
      if (raw) out.status(`received ${result.bytes} bytes`);
      else out.line(`client: received '${escapeBytes(result.data)}'`);
      out.event("received", {
        bytes: result.bytes,
        ...(raw || !out.json
          ? {}
          : (await import("../lib/json_line.ts")).dataFields(result.data)),
        truncated: result.truncated,
      });
      if (result.truncated) {
        out.error(
          undefined,
          `Output cut at ${maxBytes} bytes: the server sent more (--max-bytes)`,
        );
        return 1;
      }
      if (result.timedOut) {
        out.error(
          undefined,
          `Timed out: the server sent nothing for ${
            timeout! / 1000
          } seconds and did not close the connection`,
        );
        return 1;
      }
      out.flush();
      return 0;
    } catch (error) {
      out.perror("recv", error);
      return 1;
    } finally {
      conn.close();
    }
  } catch (error) {
    if (error instanceof ConnectError) {
      out.status("failed to connect");
      return 2;
    }
    return reportFailure(out, error);
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
