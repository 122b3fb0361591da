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

import { MAX_UDP_PAYLOAD_IPV6 } from "../lib/constants.ts";
import { DEFAULT_UDP_PORT } from "./_defaults.ts";
import type { Trace } from "../lib/trace.ts";
import { joinChunks } from "../lib/_join_chunks.ts";
import { NUMBERED_HEADER_SIZE, numberedFit } from "../lib/_sender.ts";
import {
  type AddressFailure,
  BindError,
  describeError,
  MessageSizeError,
  SendError,
} from "../lib/errors.ts";
import { isTimeout } from "../lib/_abort.ts";
import { resolve, type ResolvedAddress } from "../lib/resolve.ts";
import { maxPayload, sendDatagram } from "../lib/send_datagram.ts";
import {
  command,
  type Failure,
  failure,
  type Info,
  infoRequest,
  type MainOptions,
  Output,
  RESOLVE_FAILURE,
  stopSignal,
  withFailures,
} from "./_cli.ts";
import { checkUdp, datagramPrinter, UDP_FAILURE } from "./_datagram.ts";
import {
  COMMON_OPTIONS,
  familyOf,
  parseArgumentText,
  parseCommandLine,
  parseDecimal,
  parseDestinationPort,
  parseHost,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";

const HELP = `usage: talker hostname message [options]

Sends MESSAGE as one datagram to HOSTNAME on UDP port ${DEFAULT_UDP_PORT}. MESSAGE "-" reads
the datagram from standard input, as bytes: the way to send bytes that are
not UTF-8, which a command line cannot carry through Deno.

options:
  -p, --port N        send to port N (1-65535) [${DEFAULT_UDP_PORT}]
  -4, -6              IPv4 only / IPv6 only
  -w, --wait SECS     wait SECS seconds for one reply from the peer, and show it
  -c, --count N       send N datagrams [1]; above 1 each is numbered: a
                      header, then MESSAGE
  -r, --rate R        with -c: send R datagrams per second [1]
      --interval S    with -c: wait S seconds between datagrams (0: flat out)
      --seq           number the datagram even when there is only one
  -s, --size BYTES    pad each numbered datagram to BYTES, header included
  -v, --verbose       say where the datagram goes
      --json          one JSON object per event on stdout
      --trace         each socket call as it happens, on stderr, in the
                      guide's words (under --json: trace events)
  -h, --help          show this help
  -V, --version       show the version`;

const SPEC = {
  ...COMMON_OPTIONS,
  wait: { type: "string", short: "w" },
  count: { type: "string", short: "c" },
  rate: { type: "string", short: "r" },
  // No -i: the guide sends "-hi", which must stay an unknown option.
  interval: { type: "string" },
  seq: { type: "boolean" },
  size: { type: "string", short: "s" },
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
  /** `-c`: how many datagrams. @default {1} */
  count?: number;
  /** Numbered datagrams (`-c` above 1, or `--seq`); else the guide's one. */
  numbered?: boolean;
  /** `-r`/`-i`: ms between numbered datagrams. @default {1000} */
  interval?: number;
  /** `-s`: the size of each numbered datagram, header included. */
  size?: number;
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
  const { values, positionals } = withMessageHint(() =>
    parseCommandLine(args, SPEC)
  );
  const info = infoRequest("talker", values, HELP);
  if (info) return info;
  if (positionals.length !== 2) {
    throw new UsageError("usage: talker hostname message", { bare: true });
  }
  const message = parseArgumentText(
    positionals[1]!,
    "Message",
    'give it on stdin with MESSAGE "-" (talker HOST - < FILE)',
  );
  const count = values.count === undefined
    ? 1
    : parseInteger(values.count, { name: "count", min: 1, max: 2 ** 32 });
  const numbered = count > 1 || (values.seq ?? false);
  if (values.rate !== undefined && values.interval !== undefined) {
    throw new UsageError(
      'Options "--rate" and "--interval" cannot be used together',
    );
  }
  if (count === 1 && (values.rate ?? values.interval) !== undefined) {
    throw new UsageError(
      `Option "--${
        values.rate !== undefined ? "rate" : "interval"
      }" paces a run of datagrams: give "--count" above 1`,
    );
  }
  if (numbered && values.wait !== undefined) {
    throw new UsageError(
      'Option "--wait" cannot be used with numbered datagrams ("--count", "--seq")',
    );
  }
  if (!numbered && values.size !== undefined) {
    throw new UsageError(
      'Option "--size" needs numbered datagrams ("--seq" or "--count" above 1)',
    );
  }
  const size = values.size === undefined ? undefined : parseInteger(
    values.size,
    { name: "size", min: NUMBERED_HEADER_SIZE, max: MAX_UDP_PAYLOAD_IPV6 },
  );
  const misfit = size === undefined || message === "-"
    ? undefined
    : sizeMisfit(new TextEncoder().encode(message).length, size);
  if (misfit) throw new UsageError(misfit);
  return {
    host: parseHost(positionals[0]!),
    message,
    port: parseDestinationPort(values.port ?? `${DEFAULT_UDP_PORT}`),
    family: familyOf(values),
    replyTimeout: values.wait === undefined
      ? undefined
      : parseSeconds(values.wait, "wait"),
    count,
    numbered,
    interval: values.rate !== undefined
      ? 1000 /
        parseDecimal(values.rate, {
          name: "rate",
          // One datagram a day: --interval's longest.
          min: 1 / 86_400,
          minText: "1/86400",
          max: 1_000_000,
          unit: "per second",
        })
      : values.interval !== undefined
      ? 1000 * parseDecimal(values.interval, {
        name: "interval",
        max: 86_400,
        what: "number of seconds",
        unit: "seconds",
      })
      : 1000,
    size,
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/**
 * Why a message of `length` bytes does not fit a numbered datagram of
 * `--size` bytes, or `undefined` when it fits.
 */
function sizeMisfit(length: number, size: number): string | undefined {
  return numberedFit(length, size).fits ? undefined : (
    `Message is ${length} bytes: with the ${NUMBERED_HEADER_SIZE}-byte header it does not fit "--size" ${size}`
  );
}

/**
 * The guide's talker sends `-hi` as typed; here it reads as options. An
 * unknown short option says where such a message goes.
 */
function withMessageHint<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (
      error instanceof UsageError && /^Unknown option "-\w"/.test(error.message)
    ) {
      throw new UsageError(
        `${error.message} (a message starting with "-" goes after "--": ` +
          `talker HOST -- MESSAGE)`,
      );
    }
    throw error;
  }
}

/** Stdin could not be read, or held nothing to send (`talker HOST -`). */
class StdinError extends Error {
  /** @param reason Why, for example `"Is a directory"`. */
  constructor(reason: string) {
    super(reason);
    this.name = "StdinError";
  }
}

/** `talker: socket: REASON` or `talker: sendto: REASON` for each address. */
function reportFailures(out: Output, list: readonly AddressFailure[]): void {
  for (const { error, call } of list) out.error(call, error);
}

/** How each library error ends `talker`: its lines and exit code. */
const FAILURES: Failure[] = [
  RESOLVE_FAILURE,
  UDP_FAILURE,
  failure(BindError, 2, (out, error) => {
    reportFailures(out, error.failures);
    out.stderr("failed to create socket");
  }),
  failure(SendError, 1, (out, error) => reportFailures(out, error.failures)),
  failure(MessageSizeError, 1, (out, error) => out.error(undefined, error)),
  failure(StdinError, 1, (out, error) => out.error("stdin", error.message)),
  {
    is: (error): error is DOMException => isTimeout(error),
    code: 1,
    report: (out, error) => out.error(undefined, error),
  },
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
    checkUdp();
    const trace = config.trace ? await out.tracer() : undefined;
    const addresses = await resolve(host, { family: config.family, trace });
    const message = config.message === "-"
      ? await readStdin(io.stdin ?? Deno.stdin.readable, addresses)
      : new TextEncoder().encode(config.message);
    if (config.numbered) {
      return await sendRun(out, config, addresses, message, { io, trace });
    }
    const sent = await sendDatagram(addresses, message, {
      port,
      replyTimeout: config.replyTimeout,
      signal: out.failed,
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

/**
 * Send the numbered datagrams of `-c`/`--seq` and close with one line: how
 * many went, at what rate, how many sends failed.
 *
 * @returns 0; 1 when no datagram went; 130 when stopped by a signal.
 */
async function sendRun(
  out: Output,
  config: TalkerConfig,
  addresses: readonly ResolvedAddress[],
  message: Uint8Array,
  { io, trace }: { io: MainOptions; trace: Trace | undefined },
): Promise<number> {
  const { host, port, count = 1 } = config;
  const size = numberedFit(message.length, config.size).size;
  const misfit = sizeMisfit(message.length, size);
  if (misfit) {
    out.error(undefined, misfit);
    return 1;
  }
  const { sendNumbered } = await import("../lib/send_numbered.ts");
  using stop = stopSignal(out, io.signal);
  const run = await sendNumbered(addresses, message, {
    port,
    count,
    interval: config.interval ?? 1000,
    size,
    signal: stop.signal,
    trace,
    onStart: ({ address }, failures) => {
      reportFailures(out, failures);
      if (config.verbose) out.stderr(`sent to ${address} port ${port}`);
      out.flush();
    },
  });
  if (run.failed > 0) out.error("sendto", run.firstError);
  const attempts = run.sent + run.failed;
  // Under a second in ms, so that a fast run never reads "in 0.000 s".
  const took = run.elapsed >= 1000
    ? `${(run.elapsed / 1000).toFixed(3)} s`
    : `${Number(run.elapsed.toPrecision(3))} ms`;
  const pace = attempts > 1
    ? ` in ${took} (${
      run.rate < 100 ? run.rate.toFixed(1) : run.rate.toFixed(0)
    }/s)`
    : "";
  out.event(
    "summary",
    {
      address: run.address.address,
      port,
      datagrams: count,
      bytes: run.bytes,
      sent: run.sent,
      failed: run.failed,
      // To the microsecond and the thousandth: no float noise in JSON.
      seconds: Math.round(run.elapsed * 1000) / 1e6,
      rate: Math.round(run.rate * 1000) / 1000,
      stopped: run.stopped,
    },
    `talker: sent ${run.sent} datagram${
      run.sent === 1 ? "" : "s"
    } of ${run.bytes} bytes to ${host}${pace}, ${run.failed} failed${
      run.stopped ? ` (stopped after ${attempts} of ${count})` : ""
    }`,
  );
  return run.stopped ? stop.exitCode : run.sent === 0 ? 1 : 0;
}

/**
 * The message of `talker HOST -`: stdin whole, read no further than one
 * byte past what any datagram carries. Stdin that cannot be read, or holds
 * nothing (as when it is closed: the runtime opens /dev/null in its place),
 * is refused; so is more than fits, without claiming a size never read.
 */
async function readStdin(
  stream: ReadableStream<Uint8Array>,
  addresses: readonly ResolvedAddress[],
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (size <= MAX_UDP_PAYLOAD_IPV6) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch (error) {
    throw new StdinError(describeError(error));
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (size === 0) {
    throw new StdinError(
      'nothing to send (an empty datagram is MESSAGE "")',
    );
  }
  if (size > MAX_UDP_PAYLOAD_IPV6) {
    const family = addresses.some((a) => a.family === 6) ? 6 : 4;
    throw new MessageSizeError(size, maxPayload(family), family, {
      exact: false,
    });
  }
  return await joinChunks(chunks);
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
