/**
 * A stdout whose reader is slow or has stalled: a pipelined `Output`
 * (cmd/_output.ts) gathers lines behind the one write in flight, keeps up to
 * 8 MiB of them, drops the rest and says how many, never drops a kept event;
 * and `listener`, in process and as a process, behind such a reader.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertStrictEquals,
} from "@std/assert";
import { BatchedOutput } from "../cmd/_batched_output.ts";
import type { Sink } from "../cmd/_output.ts";
import {
  Capture,
  deadline,
  ignoreUnless,
  listeningPort,
  runInProcess,
  SlowSink,
} from "./_util.ts";
import { concat } from "@std/bytes/concat";
import {
  countLines,
  HAS_PROC_NET,
  needs,
  startTool,
  udpPeer,
  udpQueue,
  waitUntil,
} from "./_peers.ts";
import { main } from "../cmd/listener.ts";
import { counts, exited, numberedSender } from "./_listener.ts";

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

/** A file-like stdout: asynchronous writes that are done at once, counted. */
function countingSink(): Sink & { writes: number; text: () => string } {
  const chunks: Uint8Array[] = [];
  const sink = {
    writes: 0,
    writeSync(p: Uint8Array): number {
      sink.writes++;
      chunks.push(p.slice());
      return p.length;
    },
    write(p: Uint8Array): Promise<number> {
      return Promise.resolve(sink.writeSync(p));
    },
    isTerminal: () => false,
    text: () => new TextDecoder().decode(concat(chunks)),
  };
  return sink;
}

Deno.test(
  "a pipelined Output gathers a stream of lines whose writes are each done before the next line: at most 1 write per 10 lines, and the last lines reach stdout after the stream stops with nothing more queued",
  async () => {
    const stdout = countingSink();
    const out = new BatchedOutput("listener", {
      stdout,
      stderr: countingSink(),
    }, {
      pipeline: true,
    });
    const lines: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const line = `listener: got packet ${i} from 127.0.0.1, 32 bytes long`;
      lines.push(line);
      out.stdout(line);
      // The next datagram after the write in flight is done (its promise
      // settles within these few microtasks), and before any timer.
      for (let hop = 0; hop < 5; hop++) await null;
    }
    const expected = lines.map((line) => line + "\n").join("");
    // The stream stopped, nothing is flushed or closed: the lines still go.
    await waitUntil(() => stdout.text() === expected, "the last lines");
    assertEquals(stdout.text(), expected);
    assertLessOrEqual(stdout.writes, lines.length / 10);
    await out.close();
  },
);

/**
 * A stdout whose reader has stalled: each write waits until `resume()`, as
 * a pipe's reader that stopped reading.
 */
class StalledStdout {
  #text = "";
  readonly #resumed = Promise.withResolvers<void>();
  writeSync(p: Uint8Array): number {
    this.#text += new TextDecoder().decode(p);
    return p.length;
  }
  async write(p: Uint8Array): Promise<number> {
    await this.#resumed.promise;
    return this.writeSync(p);
  }
  isTerminal(): boolean {
    return false;
  }
  resume(): void {
    this.#resumed.resolve();
  }
  get lines(): string[] {
    return this.#text.split("\n").slice(0, -1);
  }
}

Deno.test("listener --stats behind a stalled reader: datagram lines dropped and counted as lines, the final report kept", async () => {
  const stdout = new StalledStdout();
  const run = runInProcess(
    main,
    ["-p", "0", "-b", "127.0.0.1", "-k", "--stats"],
    { stdout },
  );
  const port = await listeningPort(run.stderr);
  // About 8 KiB of lines a datagram: 1,500 of them overflow the 8 MiB the
  // listener keeps behind the write in flight; then 400 empty ones, of
  // about 130 bytes of lines each, fill what room is left, less than a
  // report's.
  using sender = numberedSender();
  const big = "y".repeat(8_000);
  const sending = (async () => {
    for (let seq = 0; seq < 1_900; seq++) {
      await sender.sendSeq(port, seq, { payload: seq < 1_500 ? big : "" });
      // A turn of the event loop for the listener to receive: its socket
      // buffer holds a dozen such datagrams.
      if (seq % 4 === 3) await new Promise((wake) => setTimeout(wake, 0));
    }
  })();
  await deadline(sending, "1,900 datagrams to be sent");
  run.controller.abort();
  // The reader stays stalled a moment after the stop, as in a pipe whose
  // reader is busy: the report is queued behind a full backlog.
  await new Promise((resolve) => setTimeout(resolve, 100));
  stdout.resume();
  assertStrictEquals(await exited(run), 0);
  const lines = stdout.lines;
  const report = lines.findIndex((l) => /^listener: final report/.test(l));
  assert(report > 0, "no final report");
  assertEquals(lines.length, report + 5, lines.slice(report).join("\n"));
  const [received] = counts(lines[report + 2]);
  const printed = lines.slice(1, report);
  assert(printed.every((l) => /^listener: (got packet|packet )/.test(l)));
  const dropped = run.stderr.lines
    .map((l) => l.match(/^listener: stdout: (\d+) lines dropped: /)?.[1])
    .filter((n) => n !== undefined)
    .reduce((sum, n) => sum + Number(n), 0);
  assert(dropped > 0, run.stderr.text);
  assertStrictEquals(printed.length + dropped, 3 * received!);
});

Deno.test({
  name:
    "listener -k whose stdout reader stalls receives on: its lines wait behind the write in flight, none lost",
  ignore: needs("sh") ||
    ignoreUnless(HAS_PROC_NET, "this test reads /proc/net/udp (Linux)"),
  async fn(): Promise<void> {
    const { proc, port } = await startTool("listener", ["-k", "-p", "0"]);
    await using _ = proc;
    proc.holdStdout();
    using socket = udpPeer();
    const payload = new Uint8Array(100).fill(0x61);
    const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
    // 3,000 datagrams: ~570 KB of lines, many times what the pipe holds. Sent
    // in bursts the receive buffer holds; after each, the listener must
    // empty it, which it cannot while blocked in a write to the full pipe.
    const total = 3_000, burst = 50;
    for (let sent = 0; sent < total; sent += burst) {
      for (let i = 0; i < burst; i++) await socket.send(payload, to);
      await waitUntil(
        () => udpQueue(port).queued === 0,
        `the listener to read datagrams ${sent}-${sent + burst}`,
      );
    }
    assertEquals(udpQueue(port).drops, 0);
    proc.resumeStdout();
    await waitUntil(
      () =>
        countLines(proc.stdout, "listener: packet is 100 bytes long") === total,
      "every datagram's lines",
    );
    proc.kill("SIGTERM");
    assertEquals(await proc.exit(), 0);
  },
});
