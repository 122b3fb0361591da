// Private to cmd/: a tool's life — its command line parsed (a mistake is
// one line; `--help` and `--version` print), then its run.

import { type ExitCode, exitCodeFor, exitCodeOf, INFO } from "./_exit_codes.ts";
import { type OptionDeclarations, UsageError } from "./_options.ts";
import { lowerFirst, Output, type Sink } from "./_output.ts";

/** How a tool's `main()` is wired to the world; tests replace each part. */
export interface MainOptions {
  /** Where normal output goes. @default {Deno.stdout} */
  stdout?: Sink;
  /** Where errors and status go. @default {Deno.stderr} */
  stderr?: Sink;
  /** Where `talker -` reads its message. @default {Deno.stdin.readable} */
  stdin?: ReadableStream<Uint8Array>;
  /** Stops a long-running tool; without it, SIGINT, SIGTERM and SIGHUP do. */
  signal?: AbortSignal;
}

/** What `--help` or `--version` asked for: printed, exit 0. */
export interface Info {
  /** Which of the two. */
  info: "help" | "version";
}

/** A tool, as {@linkcode command} runs it. */
export interface Tool<C> {
  /** Its name, which starts its lines. */
  name: string;
  /** What its help says besides its options and exit codes. */
  help: Help;
  /** Its options, in the order of its help. */
  options: OptionDeclarations;
  /** Its exit codes: usage mistakes and `--help` included. */
  exits: readonly ExitCode[];
  /** Read the command line; throws only UsageError. */
  parse: (args: readonly string[]) => C | Info;
  /** Run it; the exit code. */
  run: (config: C, io: MainOptions) => Promise<number>;
}

/**
 * The tool's life: parse (a mistake is one line; `--help` and `--version`
 * print), then run. The exit codes of the first two come from the tool's
 * table, under `UsageError` and {@linkcode INFO}.
 */
export async function command<C>(
  tool: Tool<C>,
  args: readonly string[],
  io: MainOptions,
): Promise<number> {
  let config: C | Info;
  try {
    config = tool.parse(args);
  } catch (error) {
    const code = exitCodeOf(tool.exits, error);
    if (!(error instanceof UsageError) || code === undefined) throw error;
    new Output(tool.name, io).stderrBare(usageText(tool.name, error));
    return code;
  }
  if (typeof config === "object" && config !== null && "info" in config) {
    const out = new Output(tool.name, io);
    out.stdout(
      (config as Info).info === "help"
        ? (await import("./_help.ts")).helpText(tool as Tool<unknown>)
        : `${tool.name} (beejnet) ${
          // Loaded only for --version: deno.json is off every run's start path.
          (await import("./_version.ts")).VERSION} (deno ${Deno.version.deno})`,
    );
    await out.close();
    return exitCodeFor(tool.exits, out.stdoutOutcome ?? INFO);
  }
  return await tool.run(config as C, io);
}

/** The line a UsageError prints (before escaping): `TOOL: mistake`. */
export function usageText(tool: string, error: UsageError): string {
  return error.bare ? error.message : `${tool}: ${lowerFirst(error.message)}`;
}

/** What a tool's help says besides its options and exit codes. */
export interface Help {
  /** The usage line, after `usage: `. */
  usage: string;
  /** The paragraph after it. */
  about: string;
  /** Where the options' help lines start. */
  column: number;
}

/** `--help` and `--version` as {@linkcode Info}, or nothing when neither. */
export function infoRequest(
  values: { help?: boolean; version?: boolean },
): Info | undefined {
  if (values.help) return { info: "help" };
  if (values.version) return { info: "version" };
}
