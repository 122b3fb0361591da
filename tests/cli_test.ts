// cmd/_command.ts, _failures.ts, _exit_codes.ts, _output.ts: the tools'
// shared edge — a run's failure and exit-code tables, the usage line, and
// Output's one call per event.

import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { command, type Tool, usageText } from "../cmd/_command.ts";
import {
  DONE,
  exit,
  exitCodeFor,
  INFO,
  READER_GONE_EXIT,
  STDOUT_FAILED,
} from "../cmd/_exit_codes.ts";
import { failure, PERMISSION, withFailures } from "../cmd/_failures.ts";
import { UsageError } from "../cmd/_options.ts";
import { BatchedOutput } from "../cmd/_batched_output.ts";
import { Output } from "../cmd/_output.ts";
import { ConnectError } from "../lib/errors.ts";
import { Capture, SlowSink } from "./_util.ts";

/** A tool's exit codes, for these tests. */
const EXITS = [
  exit(0, "done", DONE, INFO),
  exit(1, "a mistake", UsageError, PERMISSION, STDOUT_FAILED),
  exit(2, "no connection", ConnectError),
  READER_GONE_EXIT,
];

/** A tool that parses with `parse` and runs nothing. */
function tool(parse: () => never): Tool<never> {
  return {
    name: "tool",
    help: { usage: "tool", about: "A tool.", column: 8 },
    options: {},
    exits: EXITS,
    parse,
    run: () => Promise.resolve(0),
  };
}

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
    failure(ConnectError, (o) => o.stderr("failed to connect")),
  ];
  const code = await withFailures(out, EXITS, table, () => {
    throw new ConnectError([]);
  });
  assertStrictEquals(code, 2);
  assertEquals(stderr.lines, ["tool: failed to connect"]);
});

Deno.test("withFailures() rethrows an error no row expects: a bug is not dressed up as a usage mistake", async () => {
  const { out, stderr } = await output();
  const bug = new TypeError("Cannot read properties of undefined");
  const thrown = await assertRejects(() =>
    withFailures(out, EXITS, [], () => {
      throw bug;
    })
  );
  assertStrictEquals(thrown, bug);
  assertStrictEquals(stderr.text, "");
});

Deno.test("withFailures() says a refused permission in one line naming the flag to give", async () => {
  const { out, stderr } = await output();
  const code = await withFailures(out, EXITS, [], () => {
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
  const code = await command(
    tool(() => {
      throw new UsageError('Invalid host "\x1b[2J": not a host name');
    }),
    [],
    { stdout, stderr },
  );
  assertStrictEquals(code, 1);
  assertStrictEquals(stdout.text, "");
  assertEquals(stderr.lines, [
    'tool: invalid host "\\x1b[2J": not a host name',
  ]);
});

Deno.test("command() lets an error of parse that is not a UsageError through", async () => {
  const bug = new RangeError("bug");
  const thrown = await assertRejects(() =>
    command(
      tool(() => {
        throw bug;
      }),
      [],
      {},
    )
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

Deno.test("Output: a stdout that fails is said once on stderr, aborts failed, and later lines are dropped", async () => {
  const stdout = {
    writeSync(): number {
      throw new Error("No space left on device (os error 28)");
    },
  };
  const stderr = new Capture();
  const out = new Output("tool", { stdout, stderr });
  out.stdout("a");
  out.flush();
  out.stdout("b");
  out.flush();
  out.stderr("still here");
  await out.close();
  assertEquals(stderr.lines, [
    "tool: stdout: no space left on device",
    "tool: still here",
  ]);
  assertStrictEquals(out.failed.aborted, true);
  assertStrictEquals(out.stdoutOutcome, STDOUT_FAILED);
  assertStrictEquals(exitCodeFor(EXITS, out.stdoutOutcome!), 1);
});

Deno.test("Output: a reader that went away (EPIPE) is quiet, exit code 141, stderr still written", async () => {
  const stdout = new SlowSink();
  stdout.fail = new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
  const stderr = new Capture();
  const out = new BatchedOutput("tool", { stdout, stderr }, { pipeline: true });
  out.stdout("a");
  await out.close();
  out.stderr("stopped");
  assertEquals(stderr.lines, ["tool: stopped"]);
  assertStrictEquals(exitCodeFor(EXITS, out.stdoutOutcome!), 141);
});

Deno.test("Output: a stderr that fails is given up without a throw", async () => {
  const stdout = new Capture();
  const stderr = {
    writeSync(): number {
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  };
  const out = new Output("tool", { stdout, stderr });
  out.stderr("lost");
  out.stdout("kept");
  await out.close();
  assertEquals(stdout.lines, ["kept"]);
  assertStrictEquals(out.stdoutOutcome, undefined);
});

Deno.test("withFailures(): a stdout that failed decides the exit code; what the body threw for it is not reported", async () => {
  const stdout = {
    writeSync(): number {
      throw new Error("No space left on device (os error 28)");
    },
  };
  const stderr = new Capture();
  const out = new Output("tool", { stdout, stderr });
  const code = await withFailures(out, EXITS, [], () => {
    out.stdout("x");
    out.flush();
    throw out.failed.reason;
  });
  assertStrictEquals(code, 1);
  assertEquals(stderr.lines, ["tool: stdout: no space left on device"]);
});
