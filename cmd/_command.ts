// Private to cmd/: a tool's life — its command line parsed (a mistake is
// one line; `--help` and `--version` print), then its run — and its help,
// made from its declarations: the options and the exit codes.

import { VERSION } from "../lib/constants.ts";
import {
  type ExitCode,
  exitCodeFor,
  exitCodeOf,
  exitLines,
  INFO,
} from "./_exit_codes.ts";
import {
  type OptionDeclarations,
  optionLines,
  UsageError,
} from "./_options.ts";
import { Output, type OutputStreams } from "./_output.ts";
import { lowerFirst } from "./_words.ts";

/** How a tool's `main()` is wired to the world; tests replace each part. */
export interface MainOptions extends OutputStreams {
  /** Where `talker -` reads its message. @default {Deno.stdin.readable} */
  stdin?: ReadableStream<Uint8Array>;
  /** Stops a long-running tool; without it, SIGINT, SIGTERM and SIGHUP do. */
  signal?: AbortSignal;
}

/** What `--help` or `--version` asked for: text to print, exit 0. */
export interface Info {
  info: string;
}

/** A tool, as {@linkcode command} runs it. */
export interface Tool<C> {
  /** Its name, which starts its lines. */
  name: string;
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
    out.stdout((config as Info).info);
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

/** A tool's `--help`: usage, about, its options, its exit codes. */
export function helpText(
  help: Help,
  options: OptionDeclarations,
  exits: readonly ExitCode[],
): string {
  return [
    `usage: ${help.usage}`,
    "",
    help.about,
    "",
    "options:",
    ...optionLines(options, help.column),
    "",
    "exit status:",
    ...exitLines(exits),
  ].join("\n");
}

/**
 * `--help` and `--version` as {@linkcode Info}, or nothing when neither.
 *
 * @param help The help text, made only when asked for.
 */
export function infoRequest(
  tool: string,
  values: { help?: boolean; version?: boolean },
  help: () => string,
): Info | undefined {
  if (values.help) return { info: help() };
  if (values.version) {
    return { info: `${tool} (beejnet) ${VERSION} (deno ${Deno.version.deno})` };
  }
}
