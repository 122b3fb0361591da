// What each tool loads at start-up (`deno info`): the hex dump, JSON and
// trace modules only on demand, and std packages only by their sub-paths. A
// one-shot tool's start-up pays for every module it loads (bench/README.md).

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
}

/** The modules a tool loads before it runs: its static imports, transitively. */
async function staticModules(tool: string): Promise<string[]> {
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
  const graph: Graph = JSON.parse(new TextDecoder().decode(output.stdout));
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) {
        todo.push(dependency.code.specifier);
      }
    }
  }
  return [...seen];
}

for (const tool of ["client", "talker", "listener", "server"]) {
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
      const std = (await staticModules(tool)).filter((m) =>
        m.startsWith("jsr:")
      );
      assert(std.length > 0);
      for (const module of std) {
        assert(/^jsr:\/?@std\/[a-z-]+@[0-9.]+\/./.test(module), module);
      }
    },
  });
}

for (const tool of ["talker", "listener"]) {
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
