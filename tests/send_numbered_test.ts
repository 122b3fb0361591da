import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { MessageSizeError, SendError } from "../lib/errors.ts";
import { readNumberedHeader, wallClock } from "../lib/numbered_datagram.ts";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { sendNumbered } from "../lib/send_numbered.ts";
import { failingSends } from "./_relay.ts";
import { bytes, deadline, udpSocket } from "./_util.ts";

const LOOPBACK4: ResolvedAddress = { address: "127.0.0.1", family: 4 };

function udp(): Deno.DatagramConn & Disposable {
  const socket = udpSocket();
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

const portOf = (socket: Deno.DatagramConn): number =>
  (socket.addr as Deno.NetAddr).port;

/** Receive `n` datagrams with their sender, within the deadline. */
async function receiveAll(
  socket: Deno.DatagramConn,
  n: number,
): Promise<[Uint8Array, Deno.NetAddr][]> {
  const got: [Uint8Array, Deno.NetAddr][] = [];
  while (got.length < n) {
    const [data, from] = await deadline(
      socket.receive(new Uint8Array(65_536)),
      "a datagram",
    );
    got.push([data, from as Deno.NetAddr]);
  }
  return got;
}

Deno.test("sendNumbered() numbers the datagrams from 0, all from one socket", async () => {
  using receiver = udp();
  const before = wallClock();
  const sent = await sendNumbered([LOOPBACK4], bytes("hello"), {
    port: portOf(receiver),
    count: 5,
  });
  assertEquals(
    [sent.sent, sent.failed, sent.bytes, sent.stopped],
    [5, 0, 25, false],
  );
  assertEquals(sent.address, LOOPBACK4);
  const got = await receiveAll(receiver, 5);
  assertEquals(got.map(([d]) => readNumberedHeader(d)?.seq), [0, 1, 2, 3, 4]);
  assertEquals(new Set(got.map(([, from]) => from.port)).size, 1);
  for (const [data] of got) {
    assertEquals(data.subarray(20), bytes("hello"));
    const at = readNumberedHeader(data)!.sentAt;
    assert(at >= before - 1 && at <= wallClock() + 1, `sent at ${at}`);
  }
});

Deno.test("sendNumbered() pads each datagram with zeros to size", async () => {
  using receiver = udp();
  await sendNumbered([LOOPBACK4], bytes("ab"), {
    port: portOf(receiver),
    size: 40,
  });
  const [data] = (await receiveAll(receiver, 1))[0]!;
  assertEquals(data.length, 40);
  assertEquals(data.subarray(20, 22), bytes("ab"));
  assertEquals(data.subarray(22), new Uint8Array(18));
});

Deno.test("sendNumbered() paces at interval", async () => {
  using receiver = udp();
  const sent = await sendNumbered([LOOPBACK4], bytes("x"), {
    port: portOf(receiver),
    count: 4,
    interval: 20,
  });
  await receiveAll(receiver, 4);
  assert(sent.elapsed >= 60, `4 datagrams 20 ms apart took ${sent.elapsed} ms`);
  assert(sent.rate <= 50.01, `rate ${sent.rate}`);
});

Deno.test("sendNumbered() counts sends that fail with ENOBUFS and goes on", async () => {
  using receiver = udp();
  let sent;
  {
    using failing = failingSends(3);
    sent = await sendNumbered([LOOPBACK4], bytes("x"), {
      port: portOf(receiver),
      count: 9,
    });
    // Sends 0, 3, 6 of the 9 datagrams, and 9, the first end marker.
    assertStrictEquals(failing.failed, 4);
  }
  assertEquals([sent.sent, sent.failed, sent.endMarkers], [6, 3, 2]);
  assertEquals((sent.firstError as { code?: string }).code, "ENOBUFS");
  const got = await receiveAll(receiver, 6);
  assertEquals(
    got.map(([d]) => readNumberedHeader(d)?.seq),
    [1, 2, 4, 5, 7, 8],
  );
});

Deno.test("sendNumbered() stops when the signal aborts, saying so", async () => {
  using receiver = udp();
  const controller = new AbortController();
  const sending = sendNumbered([LOOPBACK4], bytes("x"), {
    port: portOf(receiver),
    count: 1000,
    interval: 5,
    signal: controller.signal,
  });
  await receiveAll(receiver, 2);
  controller.abort();
  const sent = await deadline(sending, "sendNumbered to stop");
  assert(sent.stopped);
  assert(sent.sent >= 2 && sent.sent < 1000, `${sent.sent} sent`);
});

Deno.test("sendNumbered() throws SendError listing each address when every first send fails", async () => {
  // Sending to port 0 fails with EINVAL.
  const error = await sendNumbered(
    [LOOPBACK4, { address: "127.0.0.2", family: 4 }],
    bytes("x"),
    { port: 0, count: 3 },
  ).catch((e: unknown) => e);
  assert(error instanceof SendError, String(error));
  assertEquals(error.failures.map((f) => [f.address, f.call]), [
    ["127.0.0.1", "sendto"],
    ["127.0.0.2", "sendto"],
  ]);
});

Deno.test("sendNumbered() refuses a size that cannot hold header and payload", async () => {
  await assertRejects(
    () => sendNumbered([LOOPBACK4], bytes("abc"), { port: 9, size: 22 }),
    RangeError,
    "Message is 3 bytes: a numbered datagram of 22 bytes holds at most 2",
  );
});

Deno.test("sendNumbered() refuses a size no datagram of the family holds, naming the datagram's size, not the payload's", async () => {
  const padded = await assertRejects(
    () => sendNumbered([LOOPBACK4], bytes("x"), { port: 9, size: 65_508 }),
    MessageSizeError,
  );
  assertStrictEquals(
    padded.message,
    "Datagram would be 65508 bytes (20-byte header + message + padding): at most 65507 fit in one IPv4 datagram",
  );
  assertEquals([padded.size, padded.header], [65_508, 20]);
  const unpadded = await assertRejects(
    () => sendNumbered([LOOPBACK4], new Uint8Array(65_490), { port: 9 }),
    MessageSizeError,
  );
  assertStrictEquals(
    unpadded.message,
    "Datagram would be 65510 bytes (20-byte header + message): at most 65507 fit in one IPv4 datagram",
  );
});

Deno.test("sendNumbered() refuses a count outside 1 to 2^32", async () => {
  for (const count of [0, 2 ** 32 + 1, 1.5]) {
    await assertRejects(
      () => sendNumbered([LOOPBACK4], bytes(""), { port: 9, count }),
      RangeError,
      `Invalid count "${count}": must be an integer 1-4294967296`,
    );
  }
});

Deno.test("sendNumbered() with a signal aborted before the call rejects with its reason and makes no socket", async () => {
  const reason = new Error("already stopped");
  const events: unknown[] = [];
  const error = await assertRejects(() =>
    sendNumbered([LOOPBACK4], bytes("x"), {
      port: 9,
      count: 3,
      signal: AbortSignal.abort(reason),
      trace: (event) => void events.push(event),
    })
  );
  assertStrictEquals(error, reason);
  assertEquals(events, [], "no socket was made");
});

Deno.test("sendNumbered() refuses arguments and options of the wrong type with TypeError before it makes a socket", async () => {
  for (
    const [call, message] of [
      [
        () => sendNumbered([LOOPBACK4], bytes("x"), {} as { port: number }),
        "Invalid port: must be a number, not undefined",
      ],
      [
        () => sendNumbered([LOOPBACK4], bytes("x"), { port: "9" as never }),
        "Invalid port: must be a number, not string",
      ],
      [
        () => sendNumbered([LOOPBACK4], "x" as never, { port: 9 }),
        "Invalid payload: must be a Uint8Array, not string",
      ],
      [
        () => sendNumbered(LOOPBACK4 as never, bytes("x"), { port: 9 }),
        "Invalid addresses: must be an array, not object",
      ],
      [
        () => sendNumbered([LOOPBACK4], bytes("x"), undefined as never),
        "Invalid sendNumbered() options: missing",
      ],
      [
        () =>
          sendNumbered([LOOPBACK4], bytes("x"), {
            port: 9,
            signal: {} as AbortSignal,
          }),
        "Invalid signal: must be an AbortSignal, not object",
      ],
      [
        () =>
          sendNumbered([LOOPBACK4], bytes("x"), {
            port: 9,
            onStart: "no" as never,
          }),
        "Invalid onStart: must be a function, not string",
      ],
    ] as const
  ) await assertRejects(call, TypeError, message);
});
