/**
 * The guide's three lines per datagram, encoded straight into a pipelined
 * output's buffer (cmd/_datagram.ts): byte for byte what the same lines
 * built as strings encode to, on every kind of output, and the gathering
 * buffer that holds them.
 *
 * @module
 */

import { assertEquals, assertStrictEquals } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { BatchedOutput } from "../cmd/_batched_output.ts";
import { datagramPrinter } from "../cmd/_datagram.ts";
import { Output } from "../cmd/_output.ts";
import { formatAddress } from "../lib/format_address.ts";
import { escapeBytes } from "../lib/text/escape.ts";
import { Capture, SlowSink } from "./_util.ts";

const encoder = new TextEncoder();

/** The lines as strings, the form the printer must match. */
function expected(tool: string, data: Uint8Array, hostname: string): string {
  return `${tool}: got packet from ${formatAddress(hostname)}\n` +
    `${tool}: packet is ${data.length} bytes long\n` +
    `${tool}: packet contains "${escapeBytes(data)}"\n`;
}

/** Payloads of every kind the escaping tells apart. */
function payloads(): Uint8Array[] {
  const list: Uint8Array[] = [
    new Uint8Array(),
    encoder.encode("Hello, world!"),
    encoder.encode('quotes " and \\ backslash'),
    encoder.encode("\x1b]0;title\x07\x1b[31mred\n\r\t\x7f"),
    encoder.encode("café ☕ 𝄞 \u202e \u200b \u0085"),
    new Uint8Array([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90]),
    new Uint8Array(65_507).fill(0x61),
    new Uint8Array(9_999).fill(0x00),
  ];
  let seed = 7;
  for (let n = 0; n < 40; n++) {
    const bytes = new Uint8Array(n * 13);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      // Mostly printable, some controls, some high bytes.
      const r = seed % 100;
      bytes[i] = r < 80
        ? 0x20 + (seed >> 8) % 95
        : r < 90
        ? r - 80
        : 0x80 + (seed >> 8) % 128;
    }
    list.push(bytes);
  }
  return list;
}

const HOSTS = [
  "127.0.0.1",
  "::ffff:127.0.0.1",
  "::1",
  "fe80::1%lo",
  "10.0.0.255",
];

/** A sink that keeps what it got. */
class Collect {
  readonly chunks: Uint8Array[] = [];
  writeSync(p: Uint8Array): number {
    this.chunks.push(p.slice());
    return p.length;
  }
  /** Reads `p` only when the write ends, as a write done by another thread may. */
  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve) =>
      setTimeout(() => resolve(this.writeSync(p)), 0)
    );
  }
  isTerminal(): boolean {
    return false;
  }
  text(): string {
    return new TextDecoder().decode(concat(this.chunks));
  }
}

for (
  const [mode, make] of [
    [
      "a pipelined output",
      (s: Collect) =>
        new BatchedOutput("listener", { stdout: s, stderr: new Capture() }, {
          pipeline: true,
        }),
    ],
    [
      "a plain output",
      (s: Collect) =>
        new Output("listener", { stdout: s, stderr: new Capture() }),
    ],
    [
      "a batching output",
      (s: Collect) =>
        new BatchedOutput("listener", { stdout: s, stderr: new Capture() }, {
          batch: true,
        }),
    ],
  ] as const
) {
  Deno.test(`the guide's lines from ${mode} are byte for byte the string form, for every payload and sender`, async () => {
    const sink = new Collect();
    const out = make(sink);
    const print = await datagramPrinter(out, "listener");
    let want = "";
    for (const data of payloads()) {
      for (const hostname of HOSTS) {
        print(data, { transport: "udp", hostname, port: 4950 });
        want += expected("listener", data, hostname);
      }
    }
    await out.close();
    assertEquals(sink.text(), want);
  });
}

Deno.test("a pipelined output keeps text lines and encoded lines in the order they came, across its buffers", async () => {
  const sink = new Collect();
  const out = new BatchedOutput(
    "tool",
    { stdout: sink, stderr: new Capture() },
    {
      pipeline: true,
    },
  );
  const print = await datagramPrinter(out, "tool");
  const data = encoder.encode("x".repeat(500));
  let want = "";
  for (let i = 0; i < 2_000; i++) {
    out.stdout(`line ${i} é`);
    want += `line ${i} é\n`;
    print(data, { transport: "udp", hostname: "127.0.0.1", port: 1 });
    want += expected("tool", data, "127.0.0.1");
    if (i % 97 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await out.close();
  assertEquals(sink.text(), want);
  // Gathered to 16 KiB a write, not a write per line.
  assertStrictEquals(sink.chunks.length < 2_000 / 10, true);
});

Deno.test("a pipelined output behind a stalled write grows its buffer for encoded lines, up to the backlog, and counts the lines it drops", async () => {
  const stdout = new SlowSink();
  const stderr = new Capture();
  const out = new BatchedOutput("tool", { stdout, stderr }, { pipeline: true });
  const print = await datagramPrinter(out, "tool");
  const data = encoder.encode("y".repeat(1_000));
  const peer = { transport: "udp", hostname: "127.0.0.1", port: 1 } as const;
  const one = expected("tool", data, "127.0.0.1");
  let printed = 0;
  while (stdout.inFlight === 0) {
    print(data, peer);
    printed++;
  }
  // 8 MiB behind the write in flight, then 100 datagrams more.
  const behind = Math.floor((8 * 1024 * 1024) / one.length);
  for (let i = 0; i < behind + 100; i++) print(data, peer);
  stdout.finish();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stderr.lines, [
    "tool: stdout: 300 lines dropped: its reader did not keep up",
  ]);
  const closing = out.close();
  for (let i = 0; i < 10 && stdout.inFlight > 0; i++) {
    stdout.finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await closing;
  assertEquals(stdout.writes.join(""), one.repeat(printed + behind));
});
