// cmd/_cli.ts: the tools' shared edge — a run's failure table, the usage
// line, and Output's one call per event.

import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import {
  command,
  failure,
  Output,
  usageText,
  withFailures,
} from "../cmd/_cli.ts";
import { UsageError } from "../cmd/_options.ts";
import { ConnectError } from "../lib/errors.ts";
import { Capture } from "./_util.ts";

async function output(json = false): Promise<{
  out: Output;
  stdout: Capture;
  stderr: Capture;
}> {
  const stdout = new Capture();
  const stderr = new Capture();
  return {
    out: await Output.open("tool", { stdout, stderr }, { json }),
    stdout,
    stderr,
  };
}

Deno.test("withFailures() turns an error of the table into its lines and exit code", async () => {
  const { out, stderr } = await output();
  const table = [
    failure(ConnectError, 2, (o) => o.stderr("failed to connect")),
  ];
  const code = await withFailures(out, table, () => {
    throw new ConnectError([]);
  });
  assertStrictEquals(code, 2);
  assertEquals(stderr.lines, ["tool: failed to connect"]);
});

Deno.test("withFailures() rethrows an error no row expects: a bug is not dressed up as a usage mistake", async () => {
  const { out, stderr } = await output();
  const bug = new TypeError("Cannot read properties of undefined");
  const thrown = await assertRejects(() =>
    withFailures(out, [], () => {
      throw bug;
    })
  );
  assertStrictEquals(thrown, bug);
  assertStrictEquals(stderr.text, "");
});

Deno.test("withFailures() says a refused permission in one line naming the flag to give", async () => {
  const { out, stderr } = await output();
  const code = await withFailures(out, [], () => {
    throw new Deno.errors.NotCapable(
      'Requires read access to "/x/lib/" to start workers',
    );
  });
  assertStrictEquals(code, 1);
  assertEquals(stderr.lines, [
    'tool: permission denied: Requires read access to "/x/lib/" to start workers, run again with --allow-read=/x/lib/',
  ]);
});

Deno.test("command() prints parse's UsageError as one escaped line, exit 1, nothing on stdout", async () => {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await command("tool", [], { stdout, stderr }, () => {
    throw new UsageError('Invalid host "\x1b[2J": not a host name');
  }, () => Promise.resolve(0));
  assertStrictEquals(code, 1);
  assertStrictEquals(stdout.text, "");
  assertEquals(stderr.lines, [
    'tool: invalid host "\\x1b[2J": not a host name',
  ]);
});

Deno.test("command() lets an error of parse that is not a UsageError through", async () => {
  const bug = new RangeError("bug");
  const thrown = await assertRejects(() =>
    command("tool", [], {}, () => {
      throw bug;
    }, () => Promise.resolve(0))
  );
  assertStrictEquals(thrown, bug);
});

Deno.test("usageText() prints a bare usage line as it is", () => {
  assertStrictEquals(
    usageText(
      "client",
      new UsageError("usage: client hostname", { bare: true }),
    ),
    "usage: client hostname",
  );
  assertStrictEquals(
    usageText("client", new UsageError('Unknown option "-z"')),
    'client: unknown option "-z"',
  );
});

Deno.test("Output.event() writes text in text mode and JSON under --json, from one call", async () => {
  for (const json of [false, true]) {
    const { out, stdout } = await output(json);
    out.event("sent", { bytes: 2 }, "tool: sent 2 bytes");
    out.event("quiet", { n: 1 });
    await Promise.resolve();
    out.flush();
    assertEquals(
      stdout.lines,
      json
        ? ['{"event":"sent","bytes":2}', '{"event":"quiet","n":1}']
        : ["tool: sent 2 bytes"],
    );
  }
});

Deno.test("Output.error() is a stderr line, and also an error event under --json", async () => {
  const { out, stdout, stderr } = await output(true);
  out.error("connect", new Error("Connection refused (os error 111)"));
  out.flush();
  assertEquals(stderr.lines, ["tool: connect: Connection refused"]);
  assertEquals(stdout.lines.map((l) => JSON.parse(l)), [
    { event: "error", context: "connect", message: "Connection refused" },
  ]);
});
