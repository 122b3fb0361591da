// Private to cmd/: `talker` (cmd/talker.ts is its entry) — its options, how
// its command line is read, its exit codes, and its run.

import { MAX_UDP_PAYLOAD_IPV6 } from "../lib/constants.ts";
import { DEFAULT_UDP_PORT } from "./_defaults.ts";
import type { Trace } from "../lib/trace.ts";
import { joinChunks } from "../lib/_join_chunks.ts";
import {
  type AddressFailure,
  BindError,
  describeError,
  MessageSizeError,
  ResolveError,
  SendError,
  UnstableNetError,
} from "../lib/errors.ts";
import { NUMBERED_HEADER_SIZE, numberedFit } from "../lib/_sender.ts";
import { resolve, type ResolvedAddress } from "../lib/resolve.ts";
import { maxPayload, sendDatagram } from "../lib/send_datagram.ts";
import {
  type Help,
  type Info,
  infoRequest,
  type MainOptions,
  type Tool,
} from "./_command.ts";
import { checkUdp, UDP_FAILURE } from "./_udp.ts";
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
  type OptionValues,
  OUTPUT_OPTIONS,
  parseArgumentText,
  parseCommandLine,
  parseDecimal,
  parseDestinationPort,
  parseHost,
  parseInteger,
  parseSeconds,
  UsageError,
} from "./_options.ts";
import { Output } from "./_output.ts";

/** `talker`'s help, besides its options and exit codes. */
export const HELP: Help = {
  usage: "talker hostname message [options]",
  about:
    `Sends MESSAGE as one datagram to HOSTNAME on UDP port ${DEFAULT_UDP_PORT}. MESSAGE "-" reads
the datagram from standard input, as bytes: the way to send bytes that are
not UTF-8, which a command line cannot carry through Deno.`,
  column: 22,
};

/** `talker`'s options, in the order of its help. */
export const OPTIONS = {
  port: {
    short: "p",
    value: "N",
    help: "send to port N (1-65535)",
    default: `${DEFAULT_UDP_PORT}`,
  },
  ...FAMILY_OPTIONS,
  wait: {
    short: "w",
    value: "SECS",
    help: "wait SECS seconds for one reply from the peer, and show it",
  },
  count: {
    short: "c",
    value: "N",
    help: "send N datagrams [default]; above 1 each is numbered: a\n" +
      "header, then MESSAGE",
    default: "1",
  },
  rate: {
    short: "r",
    value: "R",
    help: "with -c: send R datagrams per second",
    default: "1",
  },
  // No -i: the guide sends "-hi", which must stay an unknown option.
  interval: {
    value: "S",
    help: "with -c: wait S seconds between datagrams (0: flat out)",
  },
  seq: { help: "number the datagram even when there is only one" },
  size: {
    short: "s",
    value: "BYTES",
    help: "pad each numbered datagram to BYTES, header included",
  },
  verbose: { short: "v", help: "say where the datagram goes" },
  ...OUTPUT_OPTIONS,
  ...INFO_OPTIONS,
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
    parseCommandLine(args, OPTIONS)
  );
  const info = infoRequest(values);
  if (info) return info;
  if (positionals.length !== 2) {
    throw new UsageError("usage: talker hostname message", { bare: true });
  }
  const message = parseArgumentText(
    positionals[1]!,
    "Message",
    'give it on stdin with MESSAGE "-" (talker HOST - < FILE)',
  );
  // One plain datagram, the common case, reads no more (V8 compiles a
  // function whole on its first call; bench/STARTUP.md).
  const plain = values.count === undefined && values.seq === undefined &&
    values.rate === undefined && values.interval === undefined &&
    values.size === undefined;
  const numbered = plain ? PLAIN : parseNumbered(values, message);
  return {
    host: parseHost(positionals[0]!),
    message,
    port: parseDestinationPort(values.port ?? OPTIONS.port.default),
    family: familyOf(values),
    replyTimeout: values.wait === undefined
      ? undefined
      : parseSeconds(values.wait, "wait"),
    ...numbered,
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    trace: values.trace ?? false,
  };
}

/** What {@linkcode parseNumbered} reads. */
type Numbered = Pick<TalkerConfig, "count" | "numbered" | "interval" | "size">;

/** One datagram, not numbered: no `-c`, `--seq`, `-r`, `--interval`, `-s`. */
const PLAIN: Numbered = {
  count: 1,
  numbered: false,
  interval: 1000,
  size: undefined,
};

/** The options of numbered datagrams: `-c`, `--seq`, `-r`, `--interval`, `-s`. */
function parseNumbered(
  values: OptionValues<typeof OPTIONS>,
  message: string,
): Numbered {
  const count = parseInteger(values.count ?? OPTIONS.count.default, {
    name: "count",
    min: 1,
    max: 2 ** 32,
  });
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
    count,
    numbered,
    interval: values.interval !== undefined
      ? 1000 * parseDecimal(values.interval, {
        name: "interval",
        max: 86_400,
        what: "number of seconds",
        unit: "seconds",
      })
      : 1000 /
        parseDecimal(values.rate ?? OPTIONS.rate.default, {
          name: "rate",
          // One datagram a day: --interval's longest.
          min: 1 / 86_400,
          minText: "1/86400",
          max: 1_000_000,
          unit: "per second",
        }),
    size,
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

/** The message read from stdin does not fit `--size` with the header. */
class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FitError";
  }
}

/** A run of numbered datagrams none of which went. */
const NOTHING_SENT = new Outcome("no datagram sent");

/** Every exit code `talker` returns, and what leads to it. */
export const EXIT_CODES: readonly ExitCode[] = [
  exit(0, "the datagrams went (also --help, --version)", DONE, INFO),
  exit(
    1,
    "a usage mistake, a name that does not resolve, a message too\n" +
      "large, stdin unreadable or empty, a failed send (of every\n" +
      "numbered datagram), no reply within -w, a permission refused,\n" +
      "or a stdout that cannot be written",
    UsageError,
    ResolveError,
    MessageSizeError,
    FitError,
    StdinError,
    SendError,
    NOTHING_SENT,
    TIMED_OUT,
    PERMISSION,
    STDOUT_FAILED,
  ),
  exit(
    2,
    "no socket could be made, or Deno runs without UDP\n(--unstable-net)",
    BindError,
    UnstableNetError,
  ),
  ...stoppedExits("a run of numbered datagrams"),
  READER_GONE_EXIT,
].sort((a, b) => a.code - b.code);

/**
 * How each library error ends `talker`: its lines (built on the first
 * failure only).
 */
const failures = (): Failure[] => [
  RESOLVE_FAILURE,
  UDP_FAILURE,
  failure(BindError, (out, error) => {
    reportFailures(out, error.failures);
    out.stderr("failed to create socket");
  }),
  failure(SendError, (out, error) => reportFailures(out, error.failures)),
  failure(MessageSizeError, (out, error) => out.error(undefined, error)),
  failure(FitError, (out, error) => out.error(undefined, error)),
  failure(StdinError, (out, error) => out.error("stdin", error.message)),
  {
    is: (error): error is DOMException => TIMED_OUT.matches(error),
    report: (out, error) => out.error(undefined, error),
  },
];

/**
 * Send the datagram; with `-w`, wait for one reply and show it.
 *
 * @returns The exit code, from {@linkcode EXIT_CODES}.
 */
export async function runTalker(
  config: TalkerConfig,
  io: MainOptions = {},
): Promise<number> {
  const { host, port } = config;
  const out = await Output.open("talker", io, { json: config.json });
  return await withFailures(out, EXIT_CODES, failures, async () => {
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
      // The printer is loaded only for a reply (-w): off the start path.
      const { datagramPrinter } = await import("./_datagram.ts");
      const print = await datagramPrinter(out, "talker");
      print(sent.reply.data, sent.reply.peer);
    }
    return DONE;
  });
}

/**
 * Send the numbered datagrams of `-c`/`--seq` and close with one line: how
 * many went, at what rate, how many sends failed.
 *
 * @returns What ended the run: done, nothing sent, or stopped by a signal.
 */
async function sendRun(
  out: Output,
  config: TalkerConfig,
  addresses: readonly ResolvedAddress[],
  message: Uint8Array,
  { io, trace }: { io: MainOptions; trace: Trace | undefined },
): Promise<Outcome> {
  const { host, port, count = 1 } = config;
  const size = numberedFit(message.length, config.size).size;
  const misfit = sizeMisfit(message.length, size);
  if (misfit) throw new FitError(misfit);
  const [{ sendNumbered }, { stopSignal }] = await Promise.all([
    import("../lib/send_numbered.ts"),
    import("./_signals.ts"),
  ]);
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
  return run.stopped ? stop.outcome : run.sent === 0 ? NOTHING_SENT : DONE;
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

/** `talker`, as cmd/talker.ts's `main()` runs it. */
export const TALKER: Tool<TalkerConfig> = {
  name: "talker",
  help: HELP,
  options: OPTIONS,
  exits: EXIT_CODES,
  parse: parseTalker,
  run: runTalker,
};
