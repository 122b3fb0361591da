/**
 * The library's documentation as a JSR user reads it: every example in a
 * doc comment can be pasted into a program of their own, so it imports the
 * package by its name (`@beejnet/beejnet`, `@beejnet/beejnet/text`) or a
 * standard library package, never a file of this checkout.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";

const ROOT = new URL("../", import.meta.url);

/** The .ts files whose doc comments a user of the package sees. */
async function documented(): Promise<string[]> {
  const files = ["mod.ts"];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk("lib/");
  await walk("cmd/");
  return files.sort();
}

/** The import specifiers of the code blocks in a file's doc comments. */
function exampleImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const comment of source.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const text = comment.split("\n").map((line) =>
      line.replace(/^\s*\*\s?/, "")
    ).join("\n");
    for (const block of text.match(/```ts\n[\s\S]*?```/g) ?? []) {
      for (const m of block.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        specifiers.push(m[1]!);
      }
    }
  }
  return specifiers;
}

const ALLOWED =
  /^(?:@beejnet\/beejnet(?:\/[a-z]+)?|@std\/[a-z-]+(?:\/[a-z-]+)?)$/;

Deno.test("every doc example imports @beejnet/beejnet or @std, never a file of the checkout", async () => {
  const files = await documented();
  let examples = 0;
  const wrong: string[] = [];
  for (const file of files) {
    const source = await Deno.readTextFile(new URL(file, ROOT));
    for (const specifier of exampleImports(source)) {
      examples++;
      if (!ALLOWED.test(specifier)) wrong.push(`${file}: "${specifier}"`);
    }
  }
  assertEquals(wrong, []);
  // The scan found the examples: an empty pattern would pass on nothing.
  assert(examples > 50, `only ${examples} example imports found`);
});

Deno.test("exampleImports() reads the imports of a doc comment's code block", () => {
  const source = [
    "/**",
    " * @example Use",
    " * ```ts",
    ' * import { formatAddress } from "./format_address.ts";',
    ' * import { assertEquals } from "@std/assert";',
    " * ```",
    " */",
    'import { x } from "./not_in_a_comment.ts";',
  ].join("\n");
  assertEquals(exampleImports(source), ["./format_address.ts", "@std/assert"]);
});

/** What `deno doc mod.ts` shows of one symbol, as plain text. */
async function docOf(symbol: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--filter", symbol, "mod.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return text;
}

Deno.test({
  name:
    "deno doc mod.ts explains the Happy Eyeballs timing, the stats window and what a trace shows",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  async fn(): Promise<void> {
    // Behaviour told only in a file's @module doc is invisible there; each
    // of these was, before the explanations moved into the symbols' docs.
    assertMatch(
      await docOf("connectFirst"),
      /stalled first address costs the attempt delay/,
    );
    assertMatch(await docOf("SequenceStats"), /2²⁵/);
    assertMatch(await docOf("Trace"), /as `strace -f` shows it/);
  },
});
