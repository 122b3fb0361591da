// What each tool loads at start-up (`deno info --json`): the hex dump, JSON
// and trace modules only on demand, std packages only by their sub-paths, no
// JSR package but @std/cli anywhere in the graph (Deno resolves every package
// the graph names, dynamic imports included), and for the one-shot tools a
// pinned list of the lib/ modules their start path loads. A one-shot tool's
// start-up pays for every module it loads (bench/README.md, STARTUP.md).

import { assert, assertEquals } from "@std/assert";
import { CAN_SPAWN, deadline, ignoreUnless } from "./_util.ts";

interface Graph {
  roots: string[];
  modules: {
    specifier: string;
    dependencies?: {
      code?: { specifier: string };
      isDynamic?: boolean;
    }[];
  }[];
  /** `jsr:` specifiers to the URLs of the files they name. */
  redirects?: Record<string, string>;
  /** Every JSR package the graph names, as `@scope/name@version` requests. */
  packages?: Record<string, string>;
}

const TOOLS = ["client", "talker", "listener", "server"] as const;
type Tool = typeof TOOLS[number];

const graphs = new Map<Tool, Promise<Graph>>();

/** `deno info --json` of a tool, run once per tool for the whole file. */
function graphOf(tool: Tool): Promise<Graph> {
  let graph = graphs.get(tool);
  if (graph === undefined) {
    graph = (async () => {
      const entry = new URL(`../cmd/${tool}.ts`, import.meta.url).pathname;
      const output = await deadline(
        new Deno.Command(Deno.execPath(), {
          args: ["info", "--json", entry],
          stdin: "null",
          stderr: "inherit",
        }).output(),
        `deno info ${tool}`,
      );
      assert(output.success, `deno info ${tool} failed`);
      return JSON.parse(new TextDecoder().decode(output.stdout)) as Graph;
    })();
    graphs.set(tool, graph);
  }
  return graph;
}

/**
 * The specifiers a tool's graph reaches from its entry: its static imports,
 * transitively, or with `dynamic` its dynamic imports too. A `jsr:`
 * specifier is listed as it is written, and followed to its files.
 */
async function modules(tool: Tool, dynamic = false): Promise<string[]> {
  const graph = await graphOf(tool);
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    const target = graph.redirects?.[specifier];
    if (target !== undefined) todo.push(target);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code && (dynamic || !dependency.isDynamic)) {
        todo.push(dependency.code.specifier);
      }
    }
  }
  return [...seen];
}

/** The modules a tool loads before it runs: its static imports, transitively. */
const staticModules = (tool: Tool): Promise<string[]> => modules(tool);

/** The paths under lib/ of `specifiers`, sorted. */
function libPaths(specifiers: readonly string[]): string[] {
  const lib = new URL("../lib/", import.meta.url).href;
  return specifiers.filter((s) => s.startsWith(lib))
    .map((s) => `lib/${s.slice(lib.length)}`)
    .sort();
}

for (const tool of TOOLS) {
  Deno.test({
    name:
      `${tool} loads lib/text/hex_dump.ts and json_line.ts only when --hex or --json asks`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const modules = await staticModules(tool);
      assert(modules.some((m) => m.endsWith("/lib/text/escape.ts")));
      assertEquals(
        modules.filter((m) => /\/(hex_dump|json_line)\.ts$/.test(m)),
        [],
      );
    },
  });

  Deno.test({
    name: `${tool} loads the trace modules only when --trace asks`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const modules = await staticModules(tool);
      assertEquals(
        modules.filter((m) =>
          /\/lib\/(_trace_calls|_errno|text\/trace)\.ts$/.test(m)
        ),
        [],
      );
    },
  });

  Deno.test({
    name: `${tool} imports std packages by sub-path, never a package root`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const std = (await modules(tool, true)).filter((m) =>
        m.startsWith("jsr:")
      );
      assert(std.length > 0);
      for (const module of std) {
        assert(/^jsr:\/?@std\/[a-z-]+@[0-9.]+\/./.test(module), module);
      }
    },
  });

  Deno.test({
    name:
      `${tool}'s module graph, dynamic imports included, names no JSR package but @std/cli`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const graph = await graphOf(tool);
      assertEquals(
        Object.keys(graph.packages ?? {}).filter((p) =>
          !p.startsWith("@std/cli@")
        ),
        [],
      );
      // Nothing fetched from elsewhere either: every module is a file of
      // the project, a Node built-in or a file of @std/cli.
      const cli = new Set(
        Object.entries(graph.redirects ?? {})
          .filter(([from]) => /^jsr:\/?@std\/cli@/.test(from))
          .map(([, to]) => to),
      );
      assertEquals(
        (await modules(tool, true)).filter((m) =>
          !/^(file|node):/.test(m) && !/^jsr:\/?@std\/cli@/.test(m) &&
          !cli.has(m)
        ),
        [],
      );
    },
  });
}

/**
 * The lib/ modules each one-shot tool loads before it runs (its static
 * graph): what `client 127.0.0.1` and `talker 127.0.0.1 hi` pay for on every
 * start. A module added here is a measured decision (STARTUP.md), not a
 * side effect of an import.
 */
const START_PATH: Record<"client" | "talker", string[]> = {
  client: [
    "lib/_check.ts",
    "lib/_join_chunks.ts",
    // lib/constants.ts no longer: only connectFirst's race (lib/_connect_race.ts,
    // loaded on its first use) needs the attempt delay.
    "lib/errors.ts",
    "lib/format_address.ts",
    "lib/happy_eyeballs.ts",
    "lib/ip.ts",
    "lib/read_all.ts",
    "lib/resolve.ts",
    "lib/text/_unsafe.ts",
    "lib/text/escape.ts",
  ],
  talker: [
    // send_datagram.ts's `abortable`, once it is no longer @std/async's.
    "lib/_abort.ts",
    "lib/_bind.ts",
    "lib/_check.ts",
    "lib/_join_chunks.ts",
    "lib/_sender.ts",
    "lib/constants.ts",
    "lib/errors.ts",
    "lib/format_address.ts",
    "lib/ip.ts",
    "lib/resolve.ts",
    "lib/send_datagram.ts",
    "lib/text/_unsafe.ts",
    "lib/text/escape.ts",
  ],
};

/**
 * Modules a one-shot tool loads only on demand: the failure reporting
 * (first failure), the signal listeners (talker: numbered datagrams), the
 * datagram printer (talker: a reply), connectFirst's race (several
 * addresses, or -w) and resolve() past an address literal (STARTUP.md).
 */
const OFF_START_PATH: Record<"client" | "talker", string[]> = {
  client: [
    "cmd/_report_failure.ts",
    "lib/_connect_race.ts",
    "lib/_resolve_checked.ts",
  ],
  talker: [
    "cmd/_datagram.ts",
    "cmd/_report_failure.ts",
    "cmd/_signals.ts",
    "lib/_resolve_checked.ts",
  ],
};

for (const tool of ["client", "talker"] as const) {
  Deno.test({
    name: `${tool}'s start path leaves out the modules it loads on demand`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const root = new URL("../", import.meta.url).href;
      const loaded = (await staticModules(tool))
        .filter((m) => m.startsWith(root))
        .map((m) => m.slice(root.length));
      assertEquals(
        OFF_START_PATH[tool].filter((m) => loaded.includes(m)),
        [],
      );
      // Each is still in the graph, as a dynamic import; the long-running
      // tools' output modes are not in it at all.
      const all = await modules(tool, true);
      for (const m of OFF_START_PATH[tool]) {
        assert(all.includes(root + m), `${m} in ${tool}'s graph`);
      }
      assert(!all.includes(root + "cmd/_batched_output.ts"));
    },
  });

  Deno.test({
    name: `${tool}'s start path loads only the lib/ modules listed for it`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      assertEquals(libPaths(await staticModules(tool)), START_PATH[tool]);
    },
  });

  Deno.test({
    name: `${tool}'s start path loads no JSON module and no Node built-in`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      assertEquals(
        (await staticModules(tool)).filter((m) =>
          m.startsWith("node:") || m.endsWith(".json")
        ),
        [],
      );
    },
  });
}

Deno.test({
  name:
    "the lib/text/ modules every tool loads write no Unicode property class as a regular expression literal",
  ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
  async fn(): Promise<void> {
    // A literal such as /[\p{Cn}]/u is set up when its module loads, and
    // that costs ≈ 4 M instructions, 9% of an empty `deno run` (STARTUP.md);
    // the pattern is built from a string on first use instead.
    const text = new URL("../lib/text/", import.meta.url).href;
    const loaded = new Set<string>();
    for (const tool of TOOLS) {
      for (const m of await staticModules(tool)) {
        if (m.startsWith(text)) loaded.add(m);
      }
    }
    assert(loaded.size > 0);
    for (const module of loaded) {
      const source = await Deno.readTextFile(new URL(module));
      assertEquals(source.match(/(?<!\\)\\p\{/g) ?? [], [], module);
    }
  },
});

for (const tool of ["talker", "listener"] as const) {
  Deno.test({
    name:
      `${tool} loads the numbered-datagram modules only when --count, --seq or --stats asks`,
    ignore: ignoreUnless(CAN_SPAWN, "deno info needs --allow-run"),
    async fn(): Promise<void> {
      const modules = await staticModules(tool);
      assertEquals(
        modules.filter((m) =>
          /\/(numbered_datagram|send_numbered|pace|datagram_stats|sequence_stats|_stats)\.ts$/
            .test(m)
        ),
        [],
      );
    },
  });
}
