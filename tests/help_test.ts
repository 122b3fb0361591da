// Each tool's --help comes from its declarations: every option's letters,
// long name, value name, help line and default, in order, and every exit
// code of its table with its meaning. And `deno task check` doc-lints every
// entry point deno.json exports.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import config from "../deno.json" with { type: "json" };
import type { Tool } from "../cmd/_command.ts";
import { CLIENT } from "../cmd/_client.ts";
import { LISTENER } from "../cmd/_listener.ts";
import { SERVER } from "../cmd/_server.ts";
import { TALKER } from "../cmd/_talker.ts";
import { main as clientMain } from "../cmd/client.ts";
import { main as listenerMain } from "../cmd/listener.ts";
import { main as serverMain } from "../cmd/server.ts";
import { main as talkerMain } from "../cmd/talker.ts";
import { Capture } from "./_util.ts";

/** Whether `line` is the option line of `label`. */
const isLineOf = (line: string, label: string): boolean =>
  line === `  ${label}` || line.startsWith(`  ${label} `);

const TOOLS: [Tool<unknown>, typeof clientMain][] = [
  [CLIENT as Tool<unknown>, clientMain],
  [SERVER as Tool<unknown>, serverMain],
  [LISTENER as Tool<unknown>, listenerMain],
  [TALKER as Tool<unknown>, talkerMain],
];

/** What `TOOL --help` prints, by section: the lines after each heading. */
async function helpSections(
  main: typeof clientMain,
): Promise<{ usage: string; options: string[]; exits: string[] }> {
  const stdout = new Capture();
  const stderr = new Capture();
  assertStrictEquals(await main(["--help"], { stdout, stderr }), 0);
  assertStrictEquals(stderr.text, "");
  const lines = stdout.lines;
  const at = (heading: string): number => {
    const i = lines.indexOf(heading);
    assert(i > 0, `no "${heading}" in the help`);
    return i;
  };
  const options = at("options:");
  const exits = at("exit status:");
  return {
    usage: lines[0]!,
    options: lines.slice(options + 1, exits - 1),
    exits: lines.slice(exits + 1),
  };
}

for (const [tool, main] of TOOLS) {
  Deno.test(`${tool.name} --help shows each declared option once, in order, with its letters, value, help line and default`, async () => {
    const { usage, options } = await helpSections(main);
    assertStrictEquals(usage, `usage: ${tool.help.usage}`);
    // Each option's line, as the declaration spells it.
    const shownWith = new Set(
      Object.values(tool.options).flatMap((o) => o.with ? [o.with] : []),
    );
    const heads: string[] = [];
    for (const [name, o] of Object.entries(tool.options)) {
      if (shownWith.has(name)) continue;
      const partner = o.with ? tool.options[o.with]! : undefined;
      const label = partner
        ? `-${o.short}, -${partner.short}`
        : `${o.short ? `-${o.short}, ` : "    "}--${name}${
          o.value ? ` ${o.value}` : ""
        }`;
      const help = (partner ? `${o.help} / ${partner.help}` : o.help)
        .split("\n")[0]!;
      heads.push(label);
      const line = options.find((l) => isLineOf(l, label));
      assert(line !== undefined, `no help line for --${name}`);
      const text = line.length > 2 + label.length
        ? line.slice(2 + label.length).trimStart()
        : options[options.indexOf(line) + 1]!.trimStart();
      const shown = o.default === undefined
        ? help
        : help.includes("[default]")
        ? help.replace("[default]", `[${o.default}]`)
        : help.includes("\n") || o.help.includes("\n")
        ? help
        : `${help} [${o.default}]`;
      assertStrictEquals(text, shown, `--${name}`);
    }
    // Nothing else starts an option line, and the order is the declarations'.
    const starts = options.filter((l) => /^ {2}-/.test(l) || /^ {6}--/.test(l))
      .map((l) => heads.find((h) => isLineOf(l, h)));
    assertEquals(starts, heads);
  });

  Deno.test(`${tool.name} --help's exit status section is its exit-code table`, async () => {
    const { exits } = await helpSections(main);
    const shown: { code: number; meaning: string }[] = [];
    for (const line of exits) {
      const row = line.match(/^ {2}(\d+) +(.*)$/);
      if (row) shown.push({ code: Number(row[1]), meaning: row[2]! });
      else shown.at(-1)!.meaning += "\n" + line.trimStart();
    }
    assertEquals(
      shown,
      tool.exits.map(({ code, meaning }) => ({ code, meaning })),
    );
    // One row per code, in order, 0 first.
    const codes = tool.exits.map((row) => row.code);
    assertEquals(codes, [...new Set(codes)].sort((a, b) => a - b));
    assertStrictEquals(codes[0], 0);
  });
}

Deno.test("the tools' help texts keep their option lines as before the declarations", async () => {
  // Pinned: what each help said when it was written by hand.
  const { options } = await helpSections(clientMain);
  assertEquals(options, [
    "  -p, --port N          connect to port N (1-65535) [3490]",
    "  -4, -6                IPv4 only / IPv6 only",
    "  -w, --timeout SECS    give up a connect, or a silence, after SECS seconds",
    "      --max-bytes N     read at most N bytes [1048576]",
    "      --raw             write only the bytes received to stdout, unmodified",
    "  -v, --verbose         say each address tried",
    "      --json            one JSON object per event on stdout",
    "      --trace           each socket call as it happens, on stderr, in the",
    "                        guide's words (under --json: trace events)",
    "  -h, --help            show this help",
    "  -V, --version         show the version",
  ]);
  const listener = (await helpSections(listenerMain)).options;
  const interval = listener.indexOf("      --stats-interval S");
  assertEquals(listener.slice(interval - 1, interval + 2), [
    "                     at the end (needs --count or --keep)",
    "      --stats-interval S",
    "                     with --stats, report every S seconds too",
  ]);
  const talker = (await helpSections(talkerMain)).options;
  const count = talker.findIndex((l) => l.startsWith("  -c, --count N "));
  assertEquals(talker.slice(count, count + 2), [
    "  -c, --count N       send N datagrams [1]; above 1 each is numbered: a",
    "                      header, then MESSAGE",
  ]);
});

Deno.test("deno task check doc-lints every entry point deno.json exports", () => {
  const check = config.tasks.check;
  const lint = check.match(/deno doc --lint ([^&]+)/);
  assert(lint, "the check task runs deno doc --lint");
  const linted = new Set(lint[1]!.trim().split(/\s+/));
  for (const path of Object.values(config.exports)) {
    assert(linted.has(path.replace(/^\.\//, "")), `${path} is not doc-linted`);
  }
});
