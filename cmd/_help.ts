// Private to cmd/: a tool's `--help`, made from its declarations — its
// options and its exit codes — and loaded only when asked for.

import type { Tool } from "./_command.ts";
import type { ExitCode } from "./_exit_codes.ts";
import type { OptionDeclarations } from "./_options.ts";

/** A tool's `--help`: usage, about, its options, its exit codes. */
export function helpText(tool: Tool<unknown>): string {
  const { help, options, exits } = tool;
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
 * The help's `options:` lines: each option's letters, long name and value
 * name, then its help line (and its default) from `column` on; a longer
 * label gets a line of its own.
 */
export function optionLines(
  options: OptionDeclarations,
  column: number,
): string[] {
  const lines: string[] = [];
  const shownWith = new Set(
    Object.values(options).flatMap((o) => o.with ? [o.with] : []),
  );
  for (const [name, option] of Object.entries(options)) {
    if (shownWith.has(name)) continue;
    const partner = option.with ? options[option.with] : undefined;
    let label: string;
    let help = option.help;
    if (partner) {
      label = `-${option.short}, -${partner.short}`;
      help = `${help} / ${partner.help}`;
    } else {
      const value = option.value ? ` ${option.value}` : "";
      label = `${
        option.short ? `-${option.short}, ` : "    "
      }--${name}${value}`;
    }
    if (option.default !== undefined) {
      const shown = `[${option.default}]`;
      help = help.includes("[default]")
        ? help.replace("[default]", shown)
        : `${help} ${shown}`;
    }
    const [first = "", ...rest] = help.split("\n");
    const indent = " ".repeat(column);
    const head = `  ${label}`;
    if (head.length + 1 > column) lines.push(head, indent + first);
    else lines.push(head.padEnd(column) + first);
    for (const line of rest) lines.push(indent + line);
  }
  return lines;
}

/** The help's "exit status:" lines, one per row. */
export function exitLines(table: readonly ExitCode[]): string[] {
  return table.flatMap(({ code, meaning }) => {
    const [first = "", ...rest] = meaning.split("\n");
    return [
      `  ${`${code}`.padEnd(5)}${first}`,
      ...rest.map((line) => `       ${line}`),
    ];
  });
}
