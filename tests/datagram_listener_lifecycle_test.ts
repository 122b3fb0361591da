/**
 * listenForDatagrams() as a resource: close() and `await using`, callbacks
 * that throw or reject (the listener's failure, its socket closed), async
 * callbacks awaited in order, options checked before any socket is opened,
 * and the bytes it hands out typed `Uint8Array<ArrayBuffer>`.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { DEFAULT_UDP_PORT } from "../cmd/_defaults.ts";
import {
  listenForDatagrams,
  type ListenForDatagramsOptions,
} from "../lib/datagram_listener.ts";
import { bytes, Calls, deadline, udpSocket } from "./_util.ts";

/** Send `text` from a fresh socket to `port` on 127.0.0.1. */
async function send(port: number, ...texts: string[]): Promise<void> {
  const socket = udpSocket();
  try {
    for (const text of texts) {
      await deadline(
        socket.send(bytes(text), {
          transport: "udp",
          hostname: "127.0.0.1",
          port,
        }),
        "send",
      );
    }
  } finally {
    socket.close();
  }
}

/** Assert nothing is bound to `port` any more: binding it again works. */
function assertPortFree(port: number): void {
  Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" })
    .close();
}

// ---------------------------------------------------------------------------
// close() and await using

Deno.test("listenForDatagrams() listens on any free port by default, not Beej's 4950", async () => {
  await using listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: () => {},
  });
  assert(listener.addr.port > 0);
  assertNotStrictEquals(listener.addr.port, DEFAULT_UDP_PORT);
});

Deno.test("listenForDatagrams() close() stops, releases the port, and changes nothing the second time", async () => {
  const received = new Calls<Uint8Array>();
  const listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: received.push,
  });
  const { port } = listener.addr;
  await send(port, "one", "two");
  await received.wait(2, "two datagrams");
  const closing = listener.close();
  assertStrictEquals(listener.close(), closing);
  await deadline(closing, "close()");
  assertStrictEquals(await deadline(listener.finished, "finished"), 2);
  assertPortFree(port);
});

Deno.test("listenForDatagrams() with await using releases the port at the end of the scope", async () => {
  let port: number;
  {
    const received = new Calls<Uint8Array>();
    await using listener = await listenForDatagrams({
      hostname: "127.0.0.1",
      onDatagram: received.push,
    });
    port = listener.addr.port;
    await send(port, "hi");
    await received.wait(1, "a datagram");
  }
  assertPortFree(port);
});

Deno.test("listenForDatagrams() close() waits for an async onDatagram in progress", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const started = new Calls<Uint8Array>();
  let done = false;
  const listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: async (data) => {
      started.push(data);
      await gate;
      done = true;
    },
  });
  await send(listener.addr.port, "slow");
  await started.wait(1, "onDatagram");
  const closing = listener.close();
  open();
  await deadline(closing, "close()");
  assert(done);
  assertStrictEquals(await listener.finished, 1);
});

// ---------------------------------------------------------------------------
// Callbacks that throw or reject

const FAILING: [
  string,
  (error: Error) => Partial<ListenForDatagramsOptions>,
][] = [
  ["an onDatagram that throws", (error) => ({
    onDatagram: () => {
      throw error;
    },
  })],
  ["an onDatagram whose promise rejects", (error) => ({
    onDatagram: () => Promise.reject(error),
  })],
  ["an accept that throws", (error) => ({
    accept: () => {
      throw error;
    },
  })],
  ["an onRefused that throws", (error) => ({
    accept: () => false,
    onRefused: () => {
      throw error;
    },
  })],
  ["an onRefused whose promise rejects", (error) => ({
    accept: () => false,
    onRefused: async () => {
      await Promise.resolve();
      throw error;
    },
  })],
  ["a trace that throws on recvfrom", (error) => ({
    trace: (event) => {
      if (event.call === "recvfrom" && event.result !== undefined) throw error;
    },
  })],
];

for (const [what, failing] of FAILING) {
  Deno.test(`listenForDatagrams() with ${what} rejects finished with it and releases the port`, async () => {
    const error = new Error(what);
    const listener = await listenForDatagrams({
      hostname: "127.0.0.1",
      onDatagram: () => {},
      ...failing(error),
    });
    await send(listener.addr.port, "boom");
    assertStrictEquals(
      await assertRejects(() => deadline(listener.finished, "finished")),
      error,
    );
    assertPortFree(listener.addr.port);
    await deadline(listener.close(), "close() after the failure");
  });
}

Deno.test("listenForDatagrams() with a failing callback nobody awaits does not end the process", async () => {
  const listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: () => Promise.reject(new Error("ignored")),
  });
  await send(listener.addr.port, "boom");
  await deadline(listener.close(), "close()");
});

Deno.test("listenForDatagrams() with a trace that throws while binding rejects, leaving nothing bound", async () => {
  const error = new Error("trace failed at bind");
  const rejected = await assertRejects(() =>
    listenForDatagrams({
      hostname: "127.0.0.1",
      onDatagram: () => {},
      trace: (event) => {
        if (event.call === "bind") throw error;
      },
    })
  );
  assertStrictEquals(rejected, error);
});

// ---------------------------------------------------------------------------
// Async callbacks awaited, in order

Deno.test("listenForDatagrams() awaits an async onDatagram before delivering the next datagram", async () => {
  const events: string[] = [];
  const received = new Calls<string>();
  await using listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: async (data) => {
      const text = new TextDecoder().decode(data);
      events.push(`start ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      events.push(`end ${text}`);
      received.push(text);
    },
  });
  await send(listener.addr.port, "a", "b", "c");
  await received.wait(3, "three datagrams");
  assertEquals(events, [
    "start a",
    "end a",
    "start b",
    "end b",
    "start c",
    "end c",
  ]);
});

Deno.test("listenForDatagrams() aborted while it resolves the hostname rejects with the reason, leaving nothing bound", async () => {
  const controller = new AbortController();
  const starting = listenForDatagrams({
    hostname: "localhost",
    family: 4,
    signal: controller.signal,
    onDatagram: () => {},
  });
  const reason = new Error("changed my mind");
  controller.abort(reason);
  assertStrictEquals(
    await assertRejects(() => deadline(starting, "listenForDatagrams()")),
    reason,
  );
});

// ---------------------------------------------------------------------------
// Bytes typed for the Web APIs

Deno.test("listenForDatagrams() hands out Uint8Array<ArrayBuffer> that crypto.subtle.digest and Blob take", async () => {
  const received = new Calls<Uint8Array<ArrayBuffer>>();
  await using listener = await listenForDatagrams({
    hostname: "127.0.0.1",
    onDatagram: (data: Uint8Array<ArrayBuffer>) => received.push(data),
  });
  await send(listener.addr.port, "abc");
  const [data] = await received.wait(1, "a datagram") as [
    Uint8Array<ArrayBuffer>,
  ];
  // Both calls type-check only with Uint8Array<ArrayBuffer> (TypeScript 6).
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  assertStrictEquals(digest[0], 0xba);
  assertStrictEquals(await new Blob([data]).text(), "abc");
});

// ---------------------------------------------------------------------------
// Options checked as Deno's APIs check theirs, before any socket

const onDatagram = (): void => {};

const RANGE_ERRORS: [string, Partial<ListenForDatagramsOptions>, RegExp][] = [
  [
    "a negative port",
    { port: -1 },
    /^Invalid port "-1": must be an integer 0-65535$/,
  ],
  ["a port above 65535", { port: 65_536 }, /^Invalid port "65536"/],
  ["a port that is not an integer", { port: 0.5 }, /^Invalid port "0.5"/],
  ["family 5", { family: 5 as 4 }, /^Invalid family "5": must be 0, 4 or 6$/],
  [
    "count 0",
    { count: 0 },
    /^Invalid count "0": must be a positive integer or Infinity$/,
  ],
  ["count 1.5", { count: 1.5 }, /^Invalid count "1.5"/],
  ["count NaN", { count: NaN }, /^Invalid count "NaN"/],
  ["count -Infinity", { count: -Infinity }, /^Invalid count "-Infinity"/],
];

for (const [what, options, message] of RANGE_ERRORS) {
  Deno.test(`listenForDatagrams() with ${what} throws RangeError before binding`, async () => {
    const error = await assertRejects(
      () =>
        listenForDatagrams({ hostname: "127.0.0.1", onDatagram, ...options }),
      RangeError,
    );
    assert(message.test(error.message), error.message);
  });
}

const TYPE_ERRORS: [string, unknown, RegExp][] = [
  [
    "no options",
    undefined,
    /^Invalid listenForDatagrams\(\) options: missing$/,
  ],
  [
    "options that are not an object",
    "udp",
    /^Invalid listenForDatagrams\(\) options: must be an object$/,
  ],
  [
    "no onDatagram",
    {},
    /^Invalid onDatagram: must be a function, not undefined$/,
  ],
  [
    "a port given as text",
    { onDatagram, port: "4950" },
    /^Invalid port: must be a number, not string$/,
  ],
  [
    "a count given as text",
    { onDatagram, count: "1" },
    /^Invalid count: must be a number, not string$/,
  ],
  [
    "a hostname that is not text",
    { onDatagram, hostname: 1 },
    /^Invalid hostname: must be a string/,
  ],
  [
    "an accept that is not a function",
    { onDatagram, accept: 1 },
    /^Invalid accept: must be a function/,
  ],
  [
    "an onRefused that is not a function",
    { onDatagram, onRefused: null },
    /^Invalid onRefused: must be a function, not null$/,
  ],
  [
    "a signal that is not an AbortSignal",
    { onDatagram, signal: {} },
    /^Invalid signal: must be an AbortSignal/,
  ],
];

for (const [what, options, message] of TYPE_ERRORS) {
  Deno.test(`listenForDatagrams() with ${what} throws TypeError before binding`, async () => {
    const error = await assertRejects(
      () => listenForDatagrams(options as ListenForDatagramsOptions),
      TypeError,
    );
    assert(message.test(error.message), error.message);
  });
}
