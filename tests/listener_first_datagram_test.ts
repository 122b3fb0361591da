/**
 * `listener` pays the one-time costs of its output before its ready line,
 * not when its first datagrams come: the first use of the timer API (its
 * pipelined output's tick) stops the receive loop for ≈ 15 ms, longer than a
 * default receive buffer's slack at the bench's rates, and a fresh listener
 * lost its first datagrams to it. With `--quiet` it prints nothing per
 * datagram and never touches the timer API. Its printers remember the last
 * sender's address, formatted, and still show each datagram's own.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { main } from "../cmd/listener.ts";
import { datagramPrinter, numberedPrinter } from "../cmd/_datagram.ts";
import { Output } from "../cmd/_output.ts";
import {
  Capture,
  closing,
  deadline,
  listeningPort,
  runInProcess,
  udpSocket,
} from "./_util.ts";

/** A file-like stdout (asynchronous writes, no terminal) that logs its writes. */
class FileStdout extends Capture {
  constructor(readonly log: string[]) {
    super();
  }
  override writeSync(p: Uint8Array): number {
    this.log.push("stdout");
    return super.writeSync(p);
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(this.writeSync(p));
  }
  isTerminal(): boolean {
    return false;
  }
}

/** Run `body` with `setInterval` logging each call in `log`. */
async function loggingIntervals(
  log: string[],
  body: () => Promise<void>,
): Promise<void> {
  const real = globalThis.setInterval;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    log.push("setInterval");
    return real(...args);
  }) as typeof setInterval;
  try {
    await body();
  } finally {
    globalThis.setInterval = real;
  }
}

Deno.test("listener printing to a file arms its output's tick before its ready line, not at the first datagram", async () => {
  const log: string[] = [];
  await loggingIntervals(log, async () => {
    const stdout = new FileStdout(log);
    const run = runInProcess(main, ["-k", "-b", "127.0.0.1", "-p", "0"], {
      stdout,
    });
    await listeningPort(run.stderr);
    await stdout.waitFor(/^listener: waiting to recvfrom\.\.\.$/);
    // Before any datagram: the timer API was used before the ready line.
    assertEquals(log.slice(0, 2), ["setInterval", "stdout"]);
    run.controller.abort();
    assertEquals(await deadline(run.code, "exit"), 0);
  });
});

Deno.test("listener --quiet never touches the timer API, before or after its datagrams", async () => {
  const log: string[] = [];
  await loggingIntervals(log, async () => {
    const stdout = new FileStdout(log);
    const run = runInProcess(main, ["-q", "-b", "127.0.0.1", "-p", "0"], {
      stdout,
    });
    const port = await listeningPort(run.stderr);
    using socket = closing(udpSocket());
    await socket.send(new TextEncoder().encode("hi"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    assertEquals(await deadline(run.code, "exit"), 0);
    assert(!log.includes("setInterval"), `setInterval called: ${log}`);
  });
});

Deno.test("datagramPrinter() and numberedPrinter() show each datagram's own sender when senders alternate", async () => {
  const stdout = new Capture();
  const out = new Output("listener", { stdout, stderr: new Capture() });
  const print = await datagramPrinter(out, "listener");
  const numbered = await numberedPrinter(out, "listener");
  const peers = ["::ffff:127.0.0.1", "::1", "::1", "::ffff:10.0.0.1"].map(
    (hostname) => ({ transport: "udp", hostname, port: 9 }) as const,
  );
  const data = new TextEncoder().encode("hi");
  for (const peer of peers) print(data, peer);
  for (const peer of peers) numbered(new Uint8Array(20), 7, 0, peer);
  await out.close();
  const senders = stdout.lines.filter((line) => line.includes(" from "))
    .map((line) => line.slice(line.lastIndexOf(" ") + 1));
  const shown = ["127.0.0.1", "::1", "::1", "10.0.0.1"];
  assertEquals(senders, [...shown, ...shown]);
});
