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

import { DEFAULT_MAX_BYTES, DEFAULT_TCP_PORT } from "./_defaults.ts";
import { type AddressFailure, ConnectError } from "../lib/errors.ts";
import { formatAddress } from "../lib/format_address.ts";
import { isTimeout } from "../lib/_abort.ts";
import { joinChunks } from "../lib/_join_chunks.ts";
import { connectFirst } from "../lib/happy_eyeballs.ts";
import { type Readable, readAll, type ReadAllResult } from "../lib/read_all.ts";
import { resolve } from "../lib/resolve.ts";
import { escapeBytes } from "../lib/text/escape.ts";
import {
  CallError,
  command,
  type Failure,
  failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  seconds,
  signalExitCode,
  type StopSignalName,
  withFailures,
} from "./_cli.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  parseCommandLine,
  parseDestinationPort,
  parseHost,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";

const HELP = `usage: client hostname [options]

Connects to HOSTNAME on TCP port ${DEFAULT_TCP_PORT}, trying each address it resolves to
(IPv6 and IPv4 raced, as RFC 8305 says), and prints what the server sends.

options:
  -p, --port N          connect to port N (1-65535) [${DEFAULT_TCP_PORT}]
  -4, -6                IPv4 only / IPv6 only
  -w, --timeout SECS    give up a connect, or a silence, after SECS seconds
      --max-bytes N     read at most N bytes [${DEFAULT_MAX_BYTES}]
      --raw             write only the bytes received to stdout, unmodified
  -v, --verbose         say each address tried
      --json            one JSON object per event on stdout
      --trace           each socket call as it happens, on stderr, in the
                        guide's words (under --json: trace events)
  -h, --help            show this help
  -V, --version         show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  timeout: { type: "string", short: "w" },
  "max-bytes": { type: "string" },
  raw: { type: "boolean" },
} as const;

/** What `client` was asked to do. */
export interface ClientConfig {
  /** The host as typed: a name or an address. */
  host: string;
  /** The port to connect to, 1-65535. */
  port: number;
  /** `-4`, `-6`, or `0` for both. */
  family: 0 | 4 | 6;
  /** `-w`: the limit on a connect and on a silence, in ms. */
  timeout?: number;
  /** `--max-bytes`. */
  maxBytes: number;
  /** `--raw`: the payload alone on stdout. */
  raw: boolean;
  /** `-v`: each address tried, live. */
  verbose: boolean;
  /** `--json`. */
  json: boolean;
  /** `--trace`: each socket call, as it happens. */
  trace: boolean;
}

/**
 * Read `client`'s command line. Pure: no socket, no output.
 *
 * @throws {UsageError} For any mistake, with the line to print.
 */
export function parseClient(args: readonly string[]): ClientConfig | Info {
  const { values, positionals } = parseCommandLine(args, SPEC);
  const info = infoRequest("client", values, HELP);
  if (info) return info;
  if (positionals.length !== 1) {
    throw new UsageError("usage: client hostname", { bare: true });
  }
  const config: ClientConfig = {
    host: parseHost(positionals[0]!),
    port: parseDestinationPort(values.port ?? `${DEFAULT_TCP_PORT}`),
    family: familyOf(values),
    timeout: values.timeout === undefined
      ? undefined
      : parseSeconds(values.timeout),
    maxBytes: values["max-bytes"] === undefined
      ? DEFAULT_MAX_BYTES
      : parseInteger(values["max-bytes"], { name: "max-bytes", min: 1 }),
    raw: values.raw ?? false,
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
  if (config.raw && config.json) {
    throw new UsageError(
      'Options "--raw" and "--json" cannot be used together',
    );
  }
  return config;
}

/** How each library error ends `client`: its lines and exit code. */
function failures(config: ClientConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    failure(ConnectError, 2, (out, error) => {
      // Under -v each failure was said as it happened.
      if (!config.verbose) reportFailures(out, error.failures);
      out.stderr("failed to connect");
    }),
  ];
}

function reportFailures(out: Output, list: readonly AddressFailure[]): void {
  for (const { error } of list) out.error("connect", error);
}

/**
 * Connect, read until the server closes, print what it sent.
 *
 * @returns The exit code: 0; 1 for a name that does not resolve, a failed
 *   read, output cut at `--max-bytes`, a silence longer than `-w` or a
 *   stdout that cannot be written; 2 when no address accepted the
 *   connection; 130, 143 or 129 when SIGINT, SIGTERM or SIGHUP stopped the
 *   read (what arrived is shown first); 141 when stdout's reader went away.
 */
export async function runClient(
  config: ClientConfig,
  io: MainOptions = {},
): Promise<number> {
  const { port, raw, verbose, timeout, maxBytes } = config;
  const out = await Output.open("client", io, { json: config.json });
  return await withFailures(out, failures(config), async () => {
    const trace = config.trace ? await out.tracer() : undefined;
    const addresses = await resolve(config.host, {
      family: config.family,
      trace,
    });
    const connected = await connectFirst(addresses, {
      port,
      timeout,
      trace,
      onAttempt: verbose
        ? (a) => out.stderr(`trying ${a.address} port ${port}`)
        : undefined,
      onFailure: verbose
        ? (_, error) => out.error("connect", error)
        : undefined,
    });
    if (!verbose) reportFailures(out, connected.failures);
    using conn = connected.conn;
    const { address } = connected.address;
    const connecting = `connecting to ${formatAddress(address)}`;
    if (raw) out.stderr(connecting);
    else out.event("connection", { address, port }, `client: ${connecting}`);
    out.flush();
    if (out.failed.aborted) return 1; // stdout's own exit code follows
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    let result: ReadAllResult | undefined;
    let failure: unknown;
    using reading = new StoppableRead(conn, io.signal);
    try {
      result = await readAll(reading, {
        maxBytes,
        idleTimeout: timeout,
        onChunk: (chunk) => {
          bytes += chunk.length;
          if (!raw) return void chunks.push(chunk);
          out.stdoutBytes(chunk);
          if (out.failed.aborted) throw out.failed.reason;
        },
      });
    } catch (error) {
      failure = error;
    }
    if (out.failed.aborted) return 1;
    // What arrived is shown, whatever ended the read.
    if (raw) out.stderr(`received ${bytes} bytes`);
    else if (!out.json) {
      out.stdout(`client: received '${escapeBytes(await joinChunks(chunks))}'`);
    } else {
      const { dataFields } = await import("../lib/text/json_line.ts");
      out.event("received", {
        bytes,
        ...dataFields(await joinChunks(chunks)),
        truncated: result?.truncated ?? false,
      });
    }
    if (isTimeout(failure)) {
      out.error(
        undefined,
        `Timed out: the server sent nothing for ${
          seconds(timeout!)
        } and did not close the connection`,
      );
      return 1;
    }
    if (failure !== undefined) {
      if (reading.stoppedBy) return signalExitCode(reading.stoppedBy);
      throw new CallError("recv", failure);
    }
    if (result!.truncated) {
      out.error(
        undefined,
        `Output cut at ${maxBytes} bytes: the server sent more (--max-bytes)`,
      );
      return 1;
    }
    return 0;
  });
}

/**
 * The connection as `readAll()` reads it. Once data has arrived and a read
 * has to wait for more, SIGINT, SIGTERM and SIGHUP (or the caller's signal)
 * close the connection instead of ending the process, so that what arrived
 * is shown first. Only then: until data arrives there is nothing to lose,
 * and the listeners cost a one-shot client start-up time (measured: a
 * greeting and its end of stream arrive together, and each read of them
 * completes at once).
 */
class StoppableRead implements Readable, Disposable {
  readonly #conn: Deno.Conn;
  readonly #given: AbortSignal | undefined;
  #received = 0;
  #listening = false;
  readonly #listeners: [Deno.Signal, () => void][] = [];
  /** The signal that stopped the read, if one did. */
  stoppedBy: StopSignalName | undefined;

  constructor(conn: Deno.Conn, given: AbortSignal | undefined) {
    this.#conn = conn;
    this.#given = given;
    given?.addEventListener("abort", this.#stop, { once: true });
  }

  read(buffer: Uint8Array): Promise<number | null> {
    const reading = this.#conn.read(buffer);
    if (this.#received > 0 && !this.#listening && !this.#given) {
      // A read that completes at once settles before this microtask runs.
      let settled = false;
      const settle = (): void => void (settled = true);
      reading.then(settle, settle);
      queueMicrotask(() => {
        if (!settled) this.#listen();
      });
    }
    return reading.then((n) => {
      this.#received += n ?? 0;
      return n;
    });
  }

  #listen(): void {
    this.#listening = true;
    const names: StopSignalName[] = Deno.build.os === "windows"
      ? ["SIGINT"]
      : ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const name of names) {
      const stop = (): void => this.#stop(name);
      Deno.addSignalListener(name, stop);
      this.#listeners.push([name, stop]);
    }
  }

  // The pending read fails once the connection is closed.
  readonly #stop = (signal: StopSignalName | Event = "SIGINT"): void => {
    this.stoppedBy ??= typeof signal === "string" ? signal : "SIGINT";
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  };

  [Symbol.dispose](): void {
    this.#given?.removeEventListener("abort", this.#stop);
    for (const [name, stop] of this.#listeners) {
      Deno.removeSignalListener(name, stop);
    }
  }
}

/**
 * Run `client` with command-line arguments.
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes (for tests).
 * @returns The exit code (see {@linkcode runClient}); 1 for bad usage.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command("client", args, io, parseClient, runClient);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
