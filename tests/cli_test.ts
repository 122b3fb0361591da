// cmd/_command.ts, _failures.ts, _exit_codes.ts, _output.ts: the tools'
// shared edge — a run's failure and exit-code tables, the usage line, and
// Output's one call per event.

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
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
import { Capture, deadline } from "./_util.ts";

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

/** A stdout whose asynchronous writes finish when the test says. */
class SlowSink {
  readonly writes: string[] = [];
  readonly #pending: PromiseWithResolvers<number>[] = [];
  fail: Error | undefined;
  writeSync(p: Uint8Array): number {
    this.writes.push(new TextDecoder().decode(p));
    return p.length;
  }
  write(p: Uint8Array): Promise<number> {
    if (this.fail) return Promise.reject(this.fail);
    this.writes.push(new TextDecoder().decode(p));
    const done = Promise.withResolvers<number>();
    this.#pending.push(done);
    return done.promise.then(() => p.length);
  }
  isTerminal(): boolean {
    return false;
  }
  /** Finish the oldest write in flight. */
  finish(): void {
    this.#pending.shift()?.resolve(0);
  }
  get inFlight(): number {
    return this.#pending.length;
  }
}

Deno.test("a pipelined Output gathers 16 KiB before a write, keeps one write in flight and gathers the lines that come meanwhile behind it", async () => {
  const stdout = new SlowSink();
  const stderr = new Capture();
  const out = new BatchedOutput("tool", { stdout, stderr }, { pipeline: true });
  const line = "x".repeat(1023); // 1 KiB with its newline
  for (let i = 0; i < 15; i++) out.stdout(line);
  assertEquals(stdout.writes, []); // 15 KiB: still gathering
  out.stdout(line);
  assertEquals(stdout.writes, [`${line}\n`.repeat(16)]);
  assertStrictEquals(stdout.inFlight, 1);
  out.stdout("one");
  out.stdout("two");
  out.stdout("three");
  stdout.finish();
  await new Promise((resolve) => setTimeout(resolve, 0));
  // Less than 16 KiB behind it: it waits for more, or for the tick.
  assertStrictEquals(stdout.writes.length, 1);
  const closing = out.close();
  assertEquals(stdout.writes.slice(1), ["one\ntwo\nthree\n"]);
  stdout.finish();
  await closing;
  assertStrictEquals(stdout.inFlight, 0);
  assertStrictEquals(out.stdoutOutcome, undefined);
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

Deno.test("a pipelined Output behind a stalled write keeps 8 MiB of lines, drops the rest and says how many", async () => {
  const stdout = new SlowSink();
  const stderr = new Capture();
  const out = new BatchedOutput("tool", { stdout, stderr }, { pipeline: true });
  const line = "x".repeat(1023);
  for (let i = 0; i < 16; i++) out.stdout(line); // 16 KiB: in flight
  assertStrictEquals(stdout.inFlight, 1);
  for (let i = 0; i < 9 * 1024; i++) out.stdout(line);
  stdout.finish();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stderr.lines, [
    "tool: stdout: 1024 lines dropped: its reader did not keep up",
  ]);
  const closing = out.close();
  stdout.finish();
  await closing;
  assertStrictEquals(stdout.writes[1]!.length, 8 * 1024 * 1024);
});

Deno.test("a pipelined Output behind a stalled write counts the lines it drops, not the texts queued", async () => {
  const stdout = new SlowSink();
  const stderr = new Capture();
  const out = new BatchedOutput("tool", { stdout, stderr }, { pipeline: true });
  const line = "x".repeat(1023);
  for (let i = 0; i < 16; i++) out.stdout(line); // 16 KiB: in flight
  // Three lines a datagram, as listener prints them: 3 KiB each.
  const packet = [line, line, line].join("\n");
  const queued = Math.floor(8 * 1024 * 1024 / 3072); // fit behind the write
  for (let i = 0; i < queued; i++) out.stdout(packet);
  for (let i = 0; i < 100; i++) out.stdout(packet); // dropped
  stdout.finish();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stderr.lines, [
    "tool: stdout: 300 lines dropped: its reader did not keep up",
  ]);
  const closing = out.close();
  stdout.finish();
  await closing;
  assertStrictEquals(
    stdout.writes.slice(1).join("").split("\n").length - 1,
    3 * queued,
  );
});

Deno.test("a pipelined Output never drops a kept event: it goes after what is queued, past the backlog, and close() waits until it is written", async () => {
  for (const json of [false, true]) {
    const stdout = new SlowSink();
    const stderr = new Capture();
    const out = new BatchedOutput("tool", { stdout, stderr }, {
      pipeline: true,
      jsonLine: json ? (value) => JSON.stringify(value) : undefined,
    });
    const line = "x".repeat(1023);
    const text = (): void => out.event("line", { text: line }, line);
    for (let i = 0; i < 16; i++) text(); // 16 KiB or more: in flight
    for (let i = 0; i < 9 * 1024; i++) text();
    out.event("stats", { final: true }, "tool: final report", { keep: true });
    text(); // dropped: the backlog is still full
    let closed = false;
    const closing = out.close().then(() => closed = true);
    for (let i = 0; i < 10 && !closed; i++) {
      stdout.finish();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await deadline(closing, "close()");
    assertStrictEquals(stdout.inFlight, 0);
    const written = stdout.writes.join("").split("\n").slice(0, -1);
    assertEquals(
      written.at(-1),
      json ? '{"event":"stats","final":true}' : "tool: final report",
    );
    const dropped = Number(stderr.text.match(/(\d+) lines dropped/)![1]);
    assert(dropped > 0);
    assertStrictEquals(written.length - 1 + dropped, 16 + 9 * 1024 + 1);
  }
});
