// Private to cmd/: `client` (cmd/client.ts is its entry) — its options, how
// its command line is read, its exit codes, and its run.

import { DEFAULT_MAX_BYTES, DEFAULT_TCP_PORT } from "./_defaults.ts";
import {
  type AddressFailure,
  ConnectError,
  ResolveError,
} from "../lib/errors.ts";
import { formatAddress } from "../lib/format_address.ts";
import { joinChunks } from "../lib/_join_chunks.ts";
import { connectFirst } from "../lib/happy_eyeballs.ts";
import { readAll, type ReadAllResult } from "../lib/read_all.ts";
import { resolve } from "../lib/resolve.ts";
import { escapeBytes } from "../lib/text/escape.ts";
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
  Outcome,
  READER_GONE_EXIT,
  STDOUT_FAILED,
  stoppedExits,
  TIMED_OUT,
} from "./_exit_codes.ts";
import {
  CallError,
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
  OUTPUT_OPTIONS,
  parseCommandLine,
  parseDestinationPort,
  parseHost,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";
import { Output } from "./_output.ts";
import { Stop } from "./_signals.ts";

/** `client`'s help, besides its options and exit codes. */
export const HELP: Help = {
  usage: "client hostname [options]",
  about:
    `Connects to HOSTNAME on TCP port ${DEFAULT_TCP_PORT}, trying each address it resolves to
(IPv6 and IPv4 raced, as RFC 8305 says), and prints what the server sends.`,
  column: 24,
};

/** `client`'s options, in the order of its help. */
export const OPTIONS = {
  port: {
    short: "p",
    value: "N",
    help: "connect to port N (1-65535)",
    default: `${DEFAULT_TCP_PORT}`,
  },
  ...FAMILY_OPTIONS,
  timeout: {
    short: "w",
    value: "SECS",
    help: "give up a connect, or a silence, after SECS seconds",
  },
  "max-bytes": {
    value: "N",
    help: "read at most N bytes",
    default: `${DEFAULT_MAX_BYTES}`,
  },
  raw: { help: "write only the bytes received to stdout, unmodified" },
  verbose: { short: "v", help: "say each address tried" },
  ...OUTPUT_OPTIONS,
  ...INFO_OPTIONS,
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
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  const info = infoRequest(values);
  if (info) return info;
  if (positionals.length !== 1) {
    throw new UsageError("usage: client hostname", { bare: true });
  }
  const config: ClientConfig = {
    host: parseHost(positionals[0]!),
    port: parseDestinationPort(values.port ?? OPTIONS.port.default),
    family: familyOf(values),
    timeout: values.timeout === undefined
      ? undefined
      : parseSeconds(values.timeout),
    maxBytes: parseInteger(
      values["max-bytes"] ?? OPTIONS["max-bytes"].default,
      {
        name: "max-bytes",
        min: 1,
      },
    ),
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

/** Output cut at `--max-bytes`: the server sent more. */
const TRUNCATED = new Outcome("output cut at --max-bytes");

/** Every exit code `client` returns, and what leads to it. */
export const EXIT_CODES: readonly ExitCode[] = [
  exit(
    0,
    "the server closed the connection; what it sent is shown\n(also --help, --version)",
    DONE,
    INFO,
  ),
  exit(
    1,
    "a usage mistake, a name that does not resolve, a failed read,\n" +
      "output cut at --max-bytes, a silence longer than -w, a\n" +
      "permission refused, or a stdout that cannot be written",
    UsageError,
    ResolveError,
    CallError,
    TRUNCATED,
    TIMED_OUT,
    PERMISSION,
    STDOUT_FAILED,
  ),
  exit(2, "no address accepted the connection", ConnectError),
  ...stoppedExits("the read (what arrived is shown first)"),
  READER_GONE_EXIT,
].sort((a, b) => a.code - b.code);

/** How each library error ends `client`: its lines. */
function failures(config: ClientConfig): Failure[] {
  return [
    RESOLVE_FAILURE,
    failure(ConnectError, (out, error) => {
      // Under -v each failure was said as it happened.
      if (!config.verbose) reportFailures(out, error.failures);
      out.stderr("failed to connect");
    }),
  ];
}

function reportFailures(out: Output, list: readonly AddressFailure[]): void {
  for (const { error } of list) out.error("connect", error);
}

/** A duration for a message: `1 second`, `0.5 seconds`. */
function seconds(ms: number): string {
  const n = ms / 1000;
  return `${n} second${n === 1 ? "" : "s"}`;
}

/**
 * Connect, read until the server closes, print what it sent.
 *
 * @returns The exit code, from {@linkcode EXIT_CODES}.
 */
export async function runClient(
  config: ClientConfig,
  io: MainOptions = {},
): Promise<number> {
  const out = await Output.open("client", io, { json: config.json });
  return await withFailures(
    out,
    EXIT_CODES,
    () => failures(config),
    () => session(out, config, io),
  );
}

// The run in short functions, the rare branches in their own: V8 compiles
// a function whole on its first call (bench/STARTUP.md item 6).

/** Connect, read, show what arrived: what ended the run. */
async function session(
  out: Output,
  config: ClientConfig,
  io: MainOptions,
): Promise<Outcome> {
  const { raw } = config;
  using conn = await connect(out, config);
  if (out.failed.aborted) throw out.failed.reason; // stdout's own exit code
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let result: ReadAllResult | undefined;
  let failure: unknown;
  // Once data has arrived and a read has to wait for more, SIGINT, SIGTERM
  // and SIGHUP (or the caller's signal) stop the read instead of ending
  // the process, so that what arrived is shown first. Only then: until
  // data arrives there is nothing to lose, and the listeners cost a
  // one-shot client start-up time (measured: a greeting and its end of
  // stream arrive together, and each read of them completes at once).
  // Arming only after a read has waited a turn of the event loop, through
  // setTimeout, was measured at +27 M instructions (the timer API's first
  // use): the check stays at the end of the task (bench/STARTUP.md).
  using stop = new Stop(io.signal);
  const reader = {
    read: (buffer: Uint8Array): Promise<number | null> => {
      const reading = conn.read(buffer);
      if (bytes > 0) stop.armWhilePending(reading);
      return reading;
    },
  };
  try {
    result = await readAll(reader, {
      maxBytes: config.maxBytes,
      idleTimeout: config.timeout,
      signal: stop.signal,
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
  if (out.failed.aborted) throw out.failed.reason;
  // What arrived is shown, whatever ended the read.
  if (raw || out.json) await showOther(out, chunks, bytes, result);
  else {
    out.stdout(`client: received '${escapeBytes(await joinChunks(chunks))}'`);
  }
  if (failure === undefined && !result!.truncated) return DONE;
  return ended(out, config, stop, failure);
}

/** Resolve, connect, and say where to. */
async function connect(out: Output, config: ClientConfig): Promise<Deno.Conn> {
  const { port, verbose } = config;
  const trace = config.trace ? await out.tracer() : undefined;
  const addresses = await resolve(config.host, {
    family: config.family,
    trace,
  });
  const connected = await connectFirst(addresses, {
    port,
    timeout: config.timeout,
    trace,
    onAttempt: verbose
      ? (a) => out.stderr(`trying ${a.address} port ${port}`)
      : undefined,
    onFailure: verbose ? (_, error) => out.error("connect", error) : undefined,
  });
  if (!verbose) reportFailures(out, connected.failures);
  const { address } = connected.address;
  const connecting = `connecting to ${formatAddress(address)}`;
  if (config.raw) out.stderr(connecting);
  else out.event("connection", { address, port }, `client: ${connecting}`);
  out.flush();
  return connected.conn;
}

/** What arrived, under `--raw` (its count) or `--json` (an event). */
async function showOther(
  out: Output,
  chunks: Uint8Array[],
  bytes: number,
  result: ReadAllResult | undefined,
): Promise<void> {
  if (!out.json) return out.stderr(`received ${bytes} bytes`);
  const { dataFields } = await import("../lib/text/json_line.ts");
  out.event("received", {
    bytes,
    ...dataFields(await joinChunks(chunks)),
    truncated: result?.truncated ?? false,
  });
}

/** A read that failed, timed out, was stopped or was cut: its outcome. */
function ended(
  out: Output,
  config: ClientConfig,
  stop: Stop,
  failure: unknown,
): Outcome {
  if (TIMED_OUT.matches(failure)) {
    out.error(
      undefined,
      `Timed out: the server sent nothing for ${
        seconds(config.timeout!)
      } and did not close the connection`,
    );
    return TIMED_OUT;
  }
  if (failure !== undefined) {
    if (stop.signal.aborted) return stop.outcome;
    throw new CallError("recv", failure);
  }
  out.error(
    undefined,
    `Output cut at ${config.maxBytes} bytes: the server sent more (--max-bytes)`,
  );
  return TRUNCATED;
}

/** `client`, as cmd/client.ts's `main()` runs it. */
export const CLIENT: Tool<ClientConfig> = {
  name: "client",
  help: HELP,
  options: OPTIONS,
  exits: EXIT_CODES,
  parse: parseClient,
  run: runClient,
};
