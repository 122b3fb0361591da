import { assert, assertEquals, assertStrictEquals, fail } from "@std/assert";
import { BindError, describeError } from "../lib/errors.ts";
import {
  type DatagramListener,
  listenForDatagrams,
  type ListenForDatagramsOptions,
} from "../lib/datagram_listener.ts";
import {
  assertRejectsExactly,
  bytes,
  Calls,
  deadline,
  HAS_IPV6,
  NEEDS_IPV6,
  udpSocket,
} from "./_util.ts";

/** One datagram as `onDatagram` received it. */
interface Received {
  data: Uint8Array;
  peer: Deno.NetAddr;
}

/**
 * A listener on port 0 of 127.0.0.1 that stops after one datagram, unless
 * `options` say otherwise.
 */
interface TestListener extends DatagramListener, AsyncDisposable {
  received: Calls<Received>;
  controller: AbortController;
}

async function listen(
  options: Partial<ListenForDatagramsOptions> = {},
): Promise<TestListener> {
  const received = new Calls<Received>();
  const controller = new AbortController();
  const listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    port: 0,
    count: 1,
    signal: controller.signal,
    onDatagram: (data, peer) => received.push({ data, peer }),
    ...options,
  });
  return {
    addr: listener.addr,
    finished: listener.finished,
    close: listener.close,
    received,
    controller,
    async [Symbol.asyncDispose](): Promise<void> {
      controller.abort();
      await deadline(listener.finished, "the listener to finish");
    },
  };
}

/** A UDP socket on 127.0.0.1 (or `hostname`) that `using` closes. */
function udp(hostname?: string): Deno.DatagramConn & Disposable {
  const socket = udpSocket(hostname);
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** Send `data` from `socket` to `port` on `hostname`. */
async function sendTo(
  socket: Deno.DatagramConn,
  data: Uint8Array,
  port: number,
  hostname = "127.0.0.1",
): Promise<void> {
  const sent = await deadline(
    socket.send(data, { transport: "udp", hostname, port }),
    "send",
  );
  assertStrictEquals(sent, data.length);
}

Deno.test("listenForDatagrams() with count 1 stops after one datagram", async () => {
  await using listener = await listen({ count: 1 });
  using sender = udp();
  await sendTo(sender, bytes("hi"), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  assertStrictEquals(listener.received.items.length, 1);
  assertEquals(listener.received.items[0]!.data, bytes("hi"));
});

Deno.test("listenForDatagrams() by default receives until closed, from any free port", async () => {
  const received = new Calls<Uint8Array>();
  const listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: (data) => received.push(data),
  });
  assert(listener.addr.port > 0);
  using sender = udp();
  for (let i = 0; i < 3; i++) {
    await sendTo(sender, bytes(String(i)), listener.addr.port);
  }
  await received.wait(3, "three datagrams");
  await deadline(listener.close(), "close()");
  assertStrictEquals(await deadline(listener.finished, "finished"), 3);
});

Deno.test("listenForDatagrams() reports the sender's address and port", async () => {
  await using listener = await listen();
  using sender = udp();
  await sendTo(sender, bytes("hi"), listener.addr.port);
  const [{ peer }] = await listener.received.wait(1, "a datagram") as [
    Received,
  ];
  assertStrictEquals(peer.transport, "udp");
  assertStrictEquals(peer.hostname, "127.0.0.1");
  assertStrictEquals(peer.port, (sender.addr as Deno.NetAddr).port);
});

Deno.test("listenForDatagrams() on port 0 reports the real port in addr", async () => {
  await using listener = await listen();
  assertStrictEquals(listener.addr.transport, "udp");
  assertStrictEquals(listener.addr.hostname, "127.0.0.1");
  assert(listener.addr.port > 0);
});

Deno.test("listenForDatagrams() with count 3 receives three datagrams from several peers", async () => {
  await using listener = await listen({ count: 3 });
  using a = udp();
  using b = udp();
  using c = udp();
  const { port } = listener.addr;
  await sendTo(a, bytes("a"), port);
  await sendTo(b, bytes("b"), port);
  await sendTo(c, bytes("c"), port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 3);
  const got = listener.received.items;
  assertEquals(
    got.map((d) => new TextDecoder().decode(d.data)).sort(),
    ["a", "b", "c"],
  );
  assertStrictEquals(new Set(got.map((d) => d.peer.port)).size, 3);
});

Deno.test("listenForDatagrams() receives a 65,507-byte datagram whole", async () => {
  await using listener = await listen();
  using sender = udp();
  const payload = new Uint8Array(65_507);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 253;
  await sendTo(sender, payload, listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  const { data } = listener.received.items[0]!;
  assertStrictEquals(data.length, 65_507);
  assertEquals(data, payload);
});

Deno.test({
  name: "listenForDatagrams() receives a 65,527-byte IPv6 datagram whole",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    await using listener = await listen({ hostname: "::1" });
    using sender = udp("::1");
    const payload = new Uint8Array(65_527);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    await sendTo(sender, payload, listener.addr.port, "::1");
    assertStrictEquals(await deadline(listener.finished, "finished"), 1);
    assertEquals(listener.received.items[0]!.data, payload);
  },
});

Deno.test("listenForDatagrams() delivers an empty datagram", async () => {
  await using listener = await listen();
  using sender = udp();
  await sendTo(sender, new Uint8Array(), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  assertStrictEquals(listener.received.items[0]!.data.length, 0);
});

Deno.test("listenForDatagrams() gives each datagram as a copy the next one does not overwrite", async () => {
  await using listener = await listen({ count: 2 });
  using sender = udp();
  await sendTo(sender, bytes("first"), listener.addr.port);
  await sendTo(sender, bytes("XXXXXXXX"), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 2);
  assertEquals(listener.received.items[0]!.data, bytes("first"));
  assertEquals(listener.received.items[1]!.data, bytes("XXXXXXXX"));
});

Deno.test("listenForDatagrams() resolves finished to the number delivered when aborted before count", async () => {
  await using listener = await listen({ count: 5 });
  using sender = udp();
  await sendTo(sender, bytes("1"), listener.addr.port);
  await sendTo(sender, bytes("2"), listener.addr.port);
  await listener.received.wait(2, "two datagrams");
  listener.controller.abort();
  assertStrictEquals(await deadline(listener.finished, "finished"), 2);
});

Deno.test("listenForDatagrams() with count Infinity goes on until aborted", async () => {
  await using listener = await listen({ count: Infinity });
  using sender = udp();
  for (let i = 0; i < 10; i++) {
    await sendTo(sender, bytes(String(i)), listener.addr.port);
  }
  await listener.received.wait(10, "ten datagrams");
  listener.controller.abort();
  assertStrictEquals(await deadline(listener.finished, "finished"), 10);
});

Deno.test("listenForDatagrams() releases the port when finished", async () => {
  const listener = await listen();
  const { port } = listener.addr;
  using sender = udp();
  await sendTo(sender, bytes("x"), port);
  await deadline(listener.finished, "finished");
  const again = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port,
    transport: "udp",
  });
  again.close();
  assertStrictEquals((again.addr as Deno.NetAddr).port, port);
});

Deno.test("listenForDatagrams() drops a datagram that accept refuses and gives onRefused its size", async () => {
  const refused = new Calls<[Deno.NetAddr, number]>();
  using good = udp();
  using bad = udp();
  const goodPort = (good.addr as Deno.NetAddr).port;
  await using listener = await listen({
    accept: (peer) => peer.port === goodPort,
    onRefused: (peer, size) => refused.push([peer, size]),
  });
  await sendTo(bad, bytes("12345"), listener.addr.port);
  const [[peer, size]] = await refused.wait(1, "onRefused") as [
    [Deno.NetAddr, number],
  ];
  assertStrictEquals(peer.port, (bad.addr as Deno.NetAddr).port);
  assertStrictEquals(size, 5);
  await sendTo(good, bytes("ok"), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  assertStrictEquals(listener.received.items.length, 1);
  assertEquals(listener.received.items[0]!.data, bytes("ok"));
  assertStrictEquals(listener.received.items[0]!.peer.port, goodPort);
});

Deno.test("listenForDatagrams() with no hostname receives IPv4 datagrams on a dual-stack socket", async () => {
  await using listener = await listen({ hostname: undefined });
  assertStrictEquals(listener.addr.hostname, HAS_IPV6 ? "::" : "0.0.0.0");
  using sender = udp();
  await sendTo(sender, bytes("v4"), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  const { peer } = listener.received.items[0]!;
  assert(
    ["::ffff:127.0.0.1", "127.0.0.1"].includes(peer.hostname),
    peer.hostname,
  );
});

Deno.test({
  name:
    "listenForDatagrams() with no hostname receives IPv6 datagrams on the same port",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    await using listener = await listen({ hostname: undefined });
    using sender = udp("::1");
    await sendTo(sender, bytes("v6"), listener.addr.port, "::1");
    assertStrictEquals(await deadline(listener.finished, "finished"), 1);
    assertStrictEquals(listener.received.items[0]!.peer.hostname, "::1");
  },
});

Deno.test({
  name:
    "listenForDatagrams() with family 6 drops IPv4 datagrams and keeps IPv6 ones",
  ignore: NEEDS_IPV6(),
  async fn(): Promise<void> {
    const refused = new Calls<[Deno.NetAddr, number]>();
    await using listener = await listen({
      hostname: undefined,
      family: 6,
      onRefused: (peer, size) => refused.push([peer, size]),
    });
    assertStrictEquals(listener.addr.hostname, "::");
    using v4 = udp();
    using v6 = udp("::1");
    await sendTo(v4, bytes("four"), listener.addr.port);
    const [[peer, size]] = await refused.wait(1, "onRefused") as [
      [Deno.NetAddr, number],
    ];
    assertStrictEquals(peer.hostname, "::ffff:127.0.0.1");
    assertStrictEquals(size, 4);
    await sendTo(v6, bytes("six"), listener.addr.port, "::1");
    assertStrictEquals(await deadline(listener.finished, "finished"), 1);
    assertEquals(listener.received.items[0]!.data, bytes("six"));
  },
});

Deno.test("listenForDatagrams() with family 4 binds 0.0.0.0", async () => {
  await using listener = await listen({ hostname: undefined, family: 4 });
  assertStrictEquals(listener.addr.hostname, "0.0.0.0");
  using sender = udp();
  await sendTo(sender, bytes("x"), listener.addr.port);
  assertStrictEquals(await deadline(listener.finished, "finished"), 1);
  assertStrictEquals(listener.received.items[0]!.peer.hostname, "127.0.0.1");
});

Deno.test("listenForDatagrams() throws BindError naming the address when the port is taken", async () => {
  using taken = udp();
  const port = (taken.addr as Deno.NetAddr).port;
  const error = await listenForDatagrams({
    hostname: "127.0.0.1",
    port,
    onDatagram: () => {},
  }).then(
    () => fail("bound a port in use"),
    (error: unknown) => error,
  );
  assert(error instanceof BindError, String(error));
  assertStrictEquals(error.failures.length, 1);
  assertStrictEquals(error.failures[0]!.address, "127.0.0.1");
  assert(error.failures[0]!.error instanceof Deno.errors.AddrInUse);
  assertStrictEquals(
    describeError(error.failures[0]!.error),
    "Address already in use",
  );
});

Deno.test("listenForDatagrams() with an already aborted signal rejects without binding", async () => {
  await assertRejectsExactly(
    listenForDatagrams({
      hostname: "127.0.0.1",
      port: 0,
      signal: AbortSignal.abort(),
      onDatagram: () => {},
    }),
    DOMException,
    { name: "AbortError" },
  );
});
