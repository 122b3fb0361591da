import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  fail,
} from "@std/assert";
import {
  MAX_UDP_PAYLOAD_IPV4,
  MAX_UDP_PAYLOAD_IPV6,
} from "../lib/constants.ts";
import { MessageSizeError, SendError } from "../lib/errors.ts";
import type { ResolvedAddress } from "../lib/resolve.ts";
import { maxPayload, sendDatagram } from "../lib/send_datagram.ts";
import {
  assertRejectsExactly,
  bytes,
  deadline,
  freeUdpPort,
  NEEDS_IPV6,
  udpSocket,
} from "./_util.ts";

const LOOPBACK4: ResolvedAddress = { address: "127.0.0.1", family: 4 };
const LOOPBACK6: ResolvedAddress = { address: "::1", family: 6 };

/** A UDP socket on 127.0.0.1 (or `hostname`) that `using` closes. */
function udp(hostname?: string): Deno.DatagramConn & Disposable {
  const socket = udpSocket(hostname);
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** The port a socket is bound to. */
const portOf = (socket: Deno.DatagramConn): number =>
  (socket.addr as Deno.NetAddr).port;

/**
 * Receive one datagram, with a deadline, into a buffer larger than any
 * datagram (`receive()`'s own buffer holds only 65,507 bytes).
 */
async function receiveOne(
  socket: Deno.DatagramConn,
): Promise<[Uint8Array, Deno.NetAddr]> {
  const [data, addr] = await deadline(
    socket.receive(new Uint8Array(65_536)),
    "a datagram",
  );
  return [data, addr as Deno.NetAddr];
}

// maxPayload

Deno.test("maxPayload() is 65,507 bytes for IPv4", () => {
  assertStrictEquals(maxPayload(4), 65_507);
  assertStrictEquals(MAX_UDP_PAYLOAD_IPV4, 65_507);
});

Deno.test("maxPayload() is 65,527 bytes for IPv6", () => {
  assertStrictEquals(maxPayload(6), 65_527);
  assertStrictEquals(MAX_UDP_PAYLOAD_IPV6, 65_527);
});

// sendDatagram

Deno.test("sendDatagram() sends to 127.0.0.1 and returns the address and bytes sent", async () => {
  using receiver = udp();
  const sent = await deadline(
    sendDatagram([LOOPBACK4], bytes("hello"), { port: portOf(receiver) }),
    "sendDatagram",
  );
  assertEquals(sent, {
    address: LOOPBACK4,
    bytes: 5,
    failures: [],
    reply: undefined,
  });
  const [data] = await receiveOne(receiver);
  assertEquals(data, bytes("hello"));
});

Deno.test("sendDatagram() sends binary data unchanged", async () => {
  using receiver = udp();
  const message = new Uint8Array([0, 0xff, 0x1b, 0, 0x80]);
  await deadline(
    sendDatagram([LOOPBACK4], message, { port: portOf(receiver) }),
    "sendDatagram",
  );
  const [data] = await receiveOne(receiver);
  assertEquals(data, message);
});

Deno.test("sendDatagram() sends an empty datagram", async () => {
  using receiver = udp();
  const sent = await deadline(
    sendDatagram([LOOPBACK4], new Uint8Array(), { port: portOf(receiver) }),
    "sendDatagram",
  );
  assertStrictEquals(sent.bytes, 0);
  const [data] = await receiveOne(receiver);
  assertStrictEquals(data.length, 0);
});

Deno.test("sendDatagram() sends 65,507 bytes to IPv4 in one datagram", async () => {
  using receiver = udp();
  const message = new Uint8Array(65_507).fill(0x41);
  const sent = await deadline(
    sendDatagram([LOOPBACK4], message, { port: portOf(receiver) }),
    "sendDatagram",
  );
  assertStrictEquals(sent.bytes, 65_507);
  const [data] = await receiveOne(receiver);
  assertStrictEquals(data.length, 65_507);
});

Deno.test("sendDatagram() refuses 65,508 bytes for IPv4 with a MessageSizeError (a RangeError) naming 65507", async () => {
  const error = await assertRejectsExactly(
    sendDatagram([LOOPBACK4], new Uint8Array(65_508), { port: 9 }),
    MessageSizeError,
    {
      message: "Message is 65508 bytes: at most 65507 fit in one IPv4 datagram",
    },
  );
  assert(error instanceof RangeError);
  assertEquals([error.size, error.limit], [65508, 65507]);
});

Deno.test({
  name: "sendDatagram() sends 65,527 bytes to ::1 in one datagram",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    using receiver = udp("::1");
    const message = new Uint8Array(65_527).fill(0x42);
    const sent = await deadline(
      sendDatagram([LOOPBACK6], message, { port: portOf(receiver) }),
      "sendDatagram",
    );
    assertStrictEquals(sent.bytes, 65_527);
    const [data] = await receiveOne(receiver);
    assertStrictEquals(data.length, 65_527);
  },
});

Deno.test("sendDatagram() refuses 65,528 bytes for IPv6 with a MessageSizeError (a RangeError) naming 65527", async () => {
  const error = await assertRejectsExactly(
    sendDatagram([LOOPBACK6], new Uint8Array(65_528), { port: 9 }),
    MessageSizeError,
    {
      message: "Message is 65528 bytes: at most 65527 fit in one IPv6 datagram",
    },
  );
  assert(error instanceof RangeError);
  assertEquals([error.size, error.limit], [65528, 65527]);
});

Deno.test({
  name:
    "sendDatagram() skips IPv4 addresses a message is too large for and sends over IPv6",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    using receiver = udp("::1");
    const message = new Uint8Array(65_510);
    const sent = await deadline(
      sendDatagram([LOOPBACK4, LOOPBACK6], message, {
        port: portOf(receiver),
      }),
      "sendDatagram",
    );
    assertEquals(sent.address, LOOPBACK6);
    const [data] = await receiveOne(receiver);
    assertStrictEquals(data.length, 65_510);
  },
});

Deno.test("sendDatagram() to a closed port on loopback does not throw", async () => {
  // UDP has no connection to refuse; the ICMP port unreachable that comes
  // back is not reported to an unconnected socket.
  const sent = await deadline(
    sendDatagram([LOOPBACK4], bytes("anyone?"), { port: freeUdpPort() }),
    "sendDatagram",
  );
  assertStrictEquals(sent.bytes, 7);
});

Deno.test("sendDatagram() waiting for a reply from a closed port times out rather than reporting a refusal", async () => {
  await assertRejectsExactly(
    deadline(
      sendDatagram([LOOPBACK4], bytes("anyone?"), {
        port: freeUdpPort(),
        replyTimeout: 100,
      }),
      "sendDatagram",
    ),
    DOMException,
    { name: "TimeoutError", message: "No reply within 0.1 seconds" },
  );
});

Deno.test("sendDatagram() throws SendError listing each address when every send fails", async () => {
  // Sending to port 0 fails with EINVAL: the library leaves it to the
  // system, as Deno's send() does.
  const error = await deadline(
    sendDatagram(
      [LOOPBACK4, { address: "127.0.0.2", family: 4 }],
      bytes("x"),
      { port: 0 },
    ).then(
      () => fail("sent to port 0"),
      (error: unknown) => error,
    ),
    "sendDatagram",
  );
  assert(error instanceof SendError, String(error));
  assertEquals(error.failures.map((f) => f.address), [
    "127.0.0.1",
    "127.0.0.2",
  ]);
  assert(error.failures.every((f) => f.error instanceof Error));
  assertEquals(error.failures.map((f) => f.call), ["sendto", "sendto"]);
});

Deno.test("sendDatagram() of no addresses does not blame the message size", async () => {
  const error = await sendDatagram([], bytes("hi"), { port: 9 }).then(
    () => fail("sent to no address"),
    (error: unknown) => error,
  );
  assert(error instanceof Error);
  assert(!(error instanceof RangeError), String(error));
});

Deno.test("sendDatagram() with replyTimeout returns the peer's reply", async () => {
  using responder = udp();
  const echoing = (async () => {
    const [data, peer] = await receiveOne(responder);
    const reply = new Uint8Array([...bytes("re: "), ...data]);
    await responder.send(reply, peer);
  })();
  const sent = await deadline(
    sendDatagram([LOOPBACK4], bytes("ping"), {
      port: portOf(responder),
      replyTimeout: 5000,
    }),
    "sendDatagram",
  );
  await echoing;
  assert(sent.reply);
  assertEquals(sent.reply.data, bytes("re: ping"));
  assertStrictEquals(sent.reply.peer.hostname, "127.0.0.1");
  assertStrictEquals(sent.reply.peer.port, portOf(responder));
});

Deno.test("sendDatagram() ignores a reply from another port and returns the peer's", async () => {
  using responder = udp();
  using stranger = udp();
  const answering = (async () => {
    const [, peer] = await receiveOne(responder);
    await stranger.send(bytes("spoof"), peer);
    await responder.send(bytes("real"), peer);
  })();
  const sent = await deadline(
    sendDatagram([LOOPBACK4], bytes("ping"), {
      port: portOf(responder),
      replyTimeout: 5000,
    }),
    "sendDatagram",
  );
  await answering;
  assertEquals(sent.reply?.data, bytes("real"));
  assertStrictEquals(sent.reply?.peer.port, portOf(responder));
});

Deno.test("sendDatagram() with only a reply from another port rejects with a TimeoutError DOMException", async () => {
  using responder = udp();
  using stranger = udp();
  const spoofing = (async () => {
    const [, peer] = await receiveOne(responder);
    await stranger.send(bytes("spoof"), peer);
  })();
  const error = await deadline(
    sendDatagram([LOOPBACK4], bytes("ping"), {
      port: portOf(responder),
      replyTimeout: 200,
    }).then(
      () => fail("took a reply from another port"),
      (error: unknown) => error,
    ),
    "sendDatagram",
  );
  await spoofing;
  assert(error instanceof DOMException, String(error));
  assertStrictEquals(error.name, "TimeoutError");
  assertStrictEquals(error.message, "No reply within 0.2 seconds");
});

Deno.test({
  name:
    "sendDatagram() ignores a reply from the peer's port on another address",
  // Linux routes all of 127.0.0.0/8 to lo; elsewhere 127.0.0.2 may not exist.
  ignore: Deno.build.os !== "linux",
  async fn(): Promise<void> {
    using responder = udp();
    using stranger = Object.assign(
      Deno.listenDatagram({
        hostname: "127.0.0.2",
        port: portOf(responder),
        transport: "udp",
      }),
      {
        [Symbol.dispose](this: Deno.DatagramConn): void {
          this.close();
        },
      },
    );
    const spoofing = (async () => {
      const [, peer] = await receiveOne(responder);
      await stranger.send(bytes("spoof"), peer);
    })();
    await assertRejects(
      () =>
        deadline(
          sendDatagram([LOOPBACK4], bytes("ping"), {
            port: portOf(responder),
            replyTimeout: 200,
          }),
          "sendDatagram",
        ),
      DOMException,
      "No reply within 0.2 seconds",
    );
    await spoofing;
  },
});

Deno.test({
  name:
    "sendDatagram() takes a reply to an IPv6 address written in a non-canonical form",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    // resolve() returns a literal as typed, so talker 0:0:0:0:0:0:0:1 sends
    // here; the reply comes from "::1", the same address.
    using responder = udp("::1");
    const echoing = (async () => {
      const [data, peer] = await receiveOne(responder);
      await responder.send(data, peer);
    })();
    const sent = await deadline(
      sendDatagram([{ address: "0:0:0:0:0:0:0:1", family: 6 }], bytes("hi"), {
        port: portOf(responder),
        replyTimeout: 1000,
      }),
      "sendDatagram",
    );
    await echoing;
    assertEquals(sent.reply?.data, bytes("hi"));
  },
});

// sendDatagram: its options, checked as Deno's own APIs check theirs

/** Options with a port no socket listens on, and more. */
const to9 = (more: object = {}): { port: number } => ({ port: 9, ...more });

Deno.test("sendDatagram() refuses a negative port with a RangeError, not a SendError", async () => {
  const error = await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), { port: -1 }),
    RangeError,
    'Invalid port "-1": must be an integer 0-65535',
  );
  assert(!(error instanceof SendError));
});

Deno.test("sendDatagram() refuses a port above 65535, which the socket would wrap, with a RangeError", async () => {
  for (const port of [65_536, 70_000]) {
    await assertRejects(
      () => sendDatagram([LOOPBACK4], bytes("x"), { port }),
      RangeError,
      `Invalid port "${port}": must be an integer 0-65535`,
    );
  }
});

Deno.test("sendDatagram() refuses a fraction, NaN and Infinity as a port with a RangeError", async () => {
  for (const port of [1.5, NaN, Infinity]) {
    await assertRejects(
      () => sendDatagram([LOOPBACK4], bytes("x"), { port }),
      RangeError,
      `Invalid port "${port}": must be an integer 0-65535`,
    );
  }
});

Deno.test("sendDatagram() refuses a port that is not a number, or none, with a TypeError", async () => {
  await assertRejects(
    () =>
      sendDatagram([LOOPBACK4], bytes("x"), {
        port: "4950" as unknown as number,
      }),
    TypeError,
    "Invalid port: must be a number, not string",
  );
  // Beej's 4950 is the talker's default, not the library's: no port, no send.
  await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), {} as { port: number }),
    TypeError,
    "Invalid port: must be a number, not undefined",
  );
  await assertRejects(
    () =>
      sendDatagram(
        [LOOPBACK4],
        bytes("x"),
        undefined as unknown as { port: number },
      ),
    TypeError,
    "Invalid sendDatagram() options: missing",
  );
});

Deno.test("sendDatagram() refuses a replyTimeout that is not more than 0 and at most 2147483647 ms with a RangeError", async () => {
  for (const replyTimeout of [0, -1, NaN, Infinity, 2 ** 31]) {
    await assertRejects(
      () => sendDatagram([LOOPBACK4], bytes("x"), to9({ replyTimeout })),
      RangeError,
      `Invalid replyTimeout "${replyTimeout}": must be more than 0 and at most 2147483647 ms`,
    );
  }
  await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), to9({ replyTimeout: "100" })),
    TypeError,
    "Invalid replyTimeout: must be a number, not string",
  );
});

Deno.test("sendDatagram() refuses a signal, onSent or trace of the wrong type with a TypeError", async () => {
  await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), to9({ signal: {} })),
    TypeError,
    "Invalid signal: must be an AbortSignal, not object",
  );
  await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), to9({ onSent: "yes" })),
    TypeError,
    "Invalid onSent: must be a function, not string",
  );
  await assertRejects(
    () => sendDatagram([LOOPBACK4], bytes("x"), to9({ trace: true })),
    TypeError,
    "Invalid trace: must be a function, not boolean",
  );
  await assertRejects(
    () =>
      sendDatagram(
        "127.0.0.1" as unknown as ResolvedAddress[],
        bytes("x"),
        to9(),
      ),
    TypeError,
    "Invalid addresses: must be an array, not string",
  );
  await assertRejects(
    () => sendDatagram([LOOPBACK4], "x" as unknown as Uint8Array, to9()),
    TypeError,
    "Invalid message: must be a Uint8Array, not string",
  );
});

Deno.test("sendDatagram() with a signal already aborted rejects with its reason and makes no socket", async () => {
  const reason = new Error("stopped before");
  const events: unknown[] = [];
  let sent = false;
  const error = await assertRejects(() =>
    sendDatagram([LOOPBACK4], bytes("x"), {
      port: 9,
      signal: AbortSignal.abort(reason),
      trace: (event) => void events.push(event),
      onSent: () => void (sent = true),
    })
  );
  assertStrictEquals(error, reason);
  assertEquals(events, []);
  assertStrictEquals(sent, false);
});

Deno.test("sendDatagram() awaits an async onSent and rejects with its rejection", async () => {
  using receiver = udp();
  const failure = new Error("the callback's own");
  const error = await assertRejects(() =>
    sendDatagram([LOOPBACK4], bytes("x"), {
      port: portOf(receiver),
      onSent: async () => {
        await Promise.resolve();
        throw failure;
      },
    })
  );
  assertStrictEquals(error, failure);
  await receiveOne(receiver);
});

Deno.test("sendDatagram()'s SendError has the first failure's error as its cause", async () => {
  const error = await assertRejects(
    () =>
      sendDatagram(
        [{ address: "::1", family: 4 }, { address: "::2", family: 4 }],
        bytes("x"),
        { port: 9 },
      ),
    SendError,
  );
  assertStrictEquals(error.cause, error.failures[0]!.error);
});

Deno.test("sendDatagram()'s reply is a Uint8Array<ArrayBuffer>, ready for crypto.subtle.digest and Blob", async () => {
  using responder = udp();
  const echoing = (async () => {
    const [data, peer] = await receiveOne(responder);
    await responder.send(data, peer);
  })();
  const sent = await deadline(
    sendDatagram([LOOPBACK4], bytes("abc"), {
      port: portOf(responder),
      replyTimeout: 5000,
    }),
    "sendDatagram",
  );
  await echoing;
  const data: Uint8Array<ArrayBuffer> = sent.reply!.data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  assertStrictEquals(digest[0], 0xba); // SHA-256("abc") = ba7816bf…
  assertStrictEquals(await new Blob([data]).text(), "abc");
});
