/**
 * The library without Deno's unstable networking APIs, as a JSR user runs it
 * by default: UDP and `SO_REUSEPORT` are refused with one clear
 * `UnstableNetError` that names the flag, before any socket is opened, and
 * the process goes on. Each case runs in a child `deno` without
 * `--unstable-net` and without this project's deno.json.
 *
 * @module
 */

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import config from "../deno.json" with { type: "json" };
import { UnstableNetError } from "../lib/errors.ts";
import { deadline, ignoreUnless } from "./_util.ts";

const CAN_RUN = Deno.permissions.querySync({ name: "run" }).state ===
    "granted" &&
  Deno.permissions.querySync({
      name: "read",
      path: new URL("../lib/", import.meta.url),
    }).state === "granted";
const NEEDS_RUN = (): boolean =>
  ignoreUnless(
    CAN_RUN,
    "running the library outside this project's deno.json needs --allow-run --allow-read",
  );

const MESSAGE = (api: string): string =>
  `${api} is not available: run Deno with --unstable-net ` +
  '(or "unstable": ["net"] in deno.json)';

/** What the child saw of the error `call` threw. */
interface Seen {
  name: string;
  message: string;
  typeError: boolean;
  unstable: boolean;
}

/**
 * Run `call` (an expression using `lib`, the library's mod.ts) in a child
 * Deno without --unstable-net; what it threw, and that the child lived on.
 * With `permissions` (`["--allow-net"]`), the child has those alone (it
 * runs the script from stdin), else all.
 */
async function withoutUnstableNet(
  call: string,
  permissions?: string[],
): Promise<Seen> {
  const mod = new URL("../mod.ts", import.meta.url).href;
  const script = `import * as lib from ${JSON.stringify(mod)};
    let seen;
    try {
      await ${call};
      seen = { name: "none", message: "it did not throw" };
    } catch (error) {
      seen = {
        name: error.name,
        message: error.message,
        typeError: error instanceof TypeError,
        unstable: error instanceof lib.UnstableNetError,
      };
    }
    console.log(JSON.stringify(seen));
    console.log("still running");`;
  // The project's imports, as a user's own config would give them, and none
  // of its other settings ("unstable": ["net"]).
  const imports = Object.fromEntries(
    Object.entries(config.imports).map((
      [name, target],
    ) => [`${name}/`, `jsr:/${target.slice("jsr:".length)}/`]),
  );
  const importMap = "data:application/json," +
    encodeURIComponent(JSON.stringify({ imports }));
  const flags = ["--no-config", `--import-map=${importMap}`, "--quiet"];
  const command = new Deno.Command(Deno.execPath(), {
    args: permissions
      ? ["run", ...flags, "--no-prompt", ...permissions, "-"]
      : ["eval", ...flags, script],
    stdin: permissions ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  let output: Promise<Deno.CommandOutput>;
  if (permissions) {
    const child = command.spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    output = child.output();
  } else output = command.output();
  const { code, stdout, stderr } = await deadline(
    output,
    "the library without --unstable-net",
  );
  const err = new TextDecoder().decode(stderr);
  assertStrictEquals(err, "");
  assertStrictEquals(code, 0);
  const lines = new TextDecoder().decode(stdout).split("\n");
  assertStrictEquals(lines[1], "still running");
  return JSON.parse(lines[0]!);
}

Deno.test("UnstableNetError is a TypeError that names the missing API and the flag", () => {
  const error = new UnstableNetError("Deno.listenDatagram");
  assert(error instanceof TypeError);
  assertStrictEquals(error.name, "UnstableNetError");
  assertStrictEquals(error.api, "Deno.listenDatagram");
  assertStrictEquals(error.message, MESSAGE("Deno.listenDatagram"));
});

Deno.test({
  name:
    "listenForDatagrams() without --unstable-net throws UnstableNetError, not a BindError",
  ignore: NEEDS_RUN(),
  async fn(): Promise<void> {
    const seen = await withoutUnstableNet(
      `lib.listenForDatagrams({ hostname: "127.0.0.1", onDatagram() {} })`,
    );
    assertEquals(seen, {
      name: "UnstableNetError",
      message: MESSAGE("Deno.listenDatagram"),
      typeError: true,
      unstable: true,
    });
  },
});

Deno.test({
  name:
    "serveGreeting({ workers: 2 }) without --unstable-net throws UnstableNetError instead of ending the process",
  ignore: NEEDS_RUN(),
  async fn(): Promise<void> {
    const seen = await withoutUnstableNet(
      `lib.serveGreeting({ hostname: "127.0.0.1", workers: 2 })`,
    );
    assertEquals(seen, {
      name: "UnstableNetError",
      message: MESSAGE("Deno.listen({ reusePort: true })"),
      typeError: true,
      unstable: true,
    });
  },
});

Deno.test({
  name:
    "serveGreeting({ workers: 2 }) without --unstable-net and without the read permission throws UnstableNetError, the flag first",
  ignore: NEEDS_RUN(),
  async fn(): Promise<void> {
    const seen = await withoutUnstableNet(
      `lib.serveGreeting({ hostname: "127.0.0.1", workers: 2 })`,
      ["--allow-net"],
    );
    assertEquals(seen, {
      name: "UnstableNetError",
      message: MESSAGE("Deno.listen({ reusePort: true })"),
      typeError: true,
      unstable: true,
    });
  },
});

Deno.test({
  name:
    "sendDatagram() without --unstable-net rejects with UnstableNetError, not a SendError",
  ignore: NEEDS_RUN(),
  async fn(): Promise<void> {
    const seen = await withoutUnstableNet(
      `lib.sendDatagram([{ address: "127.0.0.1", family: 4 }], ` +
        `new Uint8Array(1), { port: 9 })`,
    );
    assertEquals(seen, {
      name: "UnstableNetError",
      message: MESSAGE("Deno.listenDatagram"),
      typeError: true,
      unstable: true,
    });
  },
});

Deno.test({
  name:
    "sendNumbered() without --unstable-net rejects with UnstableNetError, an aborted signal's reason only after it",
  ignore: NEEDS_RUN(),
  async fn(): Promise<void> {
    for (const signal of ["", ", signal: AbortSignal.abort()"]) {
      const seen = await withoutUnstableNet(
        `lib.sendNumbered([{ address: "127.0.0.1", family: 4 }], ` +
          `new Uint8Array(1), { port: 9${signal} })`,
      );
      assertEquals(seen, {
        name: "UnstableNetError",
        message: MESSAGE("Deno.listenDatagram"),
        typeError: true,
        unstable: true,
      });
    }
  },
});
