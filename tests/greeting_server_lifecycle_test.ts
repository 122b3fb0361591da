/**
 * serveGreeting() as a resource: close() and `await using`, callbacks that
 * throw or reject (the server's failure, every socket closed), async
 * callbacks awaited, options checked before any socket is opened.
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
import { DEFAULT_TCP_PORT } from "../cmd/_defaults.ts";
import { GREETING } from "../lib/constants.ts";
import {
  serveGreeting,
  type ServeGreetingOptions,
} from "../lib/greeting_server.ts";
import { bytes, Calls, deadline, readToEnd } from "./_util.ts";

/** A message too large to sit in the socket buffers of a client that does not read. */
const LARGE = 16 * 1024 * 1024;

/** Connect to `port` on 127.0.0.1. */
function connect(port: number): Promise<Deno.Conn> {
  return deadline(Deno.connect({ hostname: "127.0.0.1", port }), "connect");
}

/** Assert nothing listens on `port` any more: binding it again works. */
function assertPortFree(port: number): void {
  const again = Deno.listen({ hostname: "127.0.0.1", port });
  again.close();
}

/** A server on 127.0.0.1 whose `onConnection` throws `error`. */
function throwingServer(
  error: Error,
  options: ServeGreetingOptions = {},
): ReturnType<typeof serveGreeting> {
  return serveGreeting({
    hostname: "127.0.0.1",
    onConnection: () => {
      throw error;
    },
    ...options,
  });
}

// ---------------------------------------------------------------------------
// close() and await using

Deno.test("serveGreeting() listens on any free port by default, not Beej's 3490", async () => {
  await using server = await serveGreeting({ hostname: "127.0.0.1" });
  assert(server.addr.port > 0);
  assertNotStrictEquals(server.addr.port, DEFAULT_TCP_PORT);
  assertEquals(
    (await readToEnd(await connect(server.addr.port))).data,
    bytes(GREETING),
  );
});

Deno.test("serveGreeting() close() stops the server and releases the port", async () => {
  const server = await serveGreeting({ hostname: "127.0.0.1" });
  const { port } = server.addr;
  assertEquals((await readToEnd(await connect(port))).data, bytes(GREETING));
  await deadline(server.close(), "close()");
  await deadline(server.finished, "finished");
  assertPortFree(port);
  await assertRejects(() => connect(port), Deno.errors.ConnectionRefused);
});

Deno.test("serveGreeting() close() twice, and after the signal, changes nothing", async () => {
  const controller = new AbortController();
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    signal: controller.signal,
  });
  controller.abort();
  const first = server.close();
  assertStrictEquals(server.close(), first);
  await deadline(first, "close()");
  await deadline(server.close(), "close() again");
  await deadline(server.finished, "finished");
});

Deno.test("serveGreeting() with await using releases the port at the end of the scope", async () => {
  let port: number;
  {
    await using server = await serveGreeting({ hostname: "127.0.0.1" });
    port = server.addr.port;
    assertEquals((await readToEnd(await connect(port))).data, bytes(GREETING));
  }
  assertPortFree(port);
});

Deno.test("serveGreeting() close() lets a greeting in flight finish", async () => {
  const message = new Uint8Array(LARGE).fill(0x65);
  const connections = new Calls<Deno.NetAddr>();
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    message,
    onConnection: connections.push,
  });
  const conn = await connect(server.addr.port);
  await connections.wait(1, "onConnection");
  const closing = server.close();
  const { data } = await deadline(readToEnd(conn), "the whole greeting");
  await deadline(closing, "close()");
  assertStrictEquals(data.length, LARGE);
});

// ---------------------------------------------------------------------------
// Callbacks that throw or reject

Deno.test("serveGreeting() with an onConnection that throws rejects finished with it, closes the peer unsent and the port", async () => {
  const error = new Error("onConnection failed");
  const server = await throwingServer(error);
  const { port } = server.addr;
  const { data } = await deadline(readToEnd(await connect(port)), "the close");
  assertEquals(data, new Uint8Array());
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(port);
});

Deno.test("serveGreeting() with an onConnection whose promise rejects rejects finished with it", async () => {
  const error = new Error("async onConnection failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    onConnection: () => Promise.reject(error),
  });
  const { port } = server.addr;
  const { data } = await deadline(readToEnd(await connect(port)), "the close");
  assertEquals(data, new Uint8Array());
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(port);
});

Deno.test("serveGreeting() with a failing callback nobody awaits ends neither the process nor close()", async () => {
  const server = await throwingServer(new Error("ignored"));
  await deadline(readToEnd(await connect(server.addr.port)), "the close");
  // close() resolves; the failure is finished's, and nobody looks at it.
  await deadline(server.close(), "close()");
  assertPortFree(server.addr.port);
});

Deno.test("serveGreeting() closes every connection in flight when a callback fails", async () => {
  const message = new Uint8Array(LARGE).fill(0x66);
  const error = new Error("second connection");
  let seen = 0;
  const connections = new Calls<Deno.NetAddr>();
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    message,
    onConnection: (peer) => {
      if (++seen === 2) throw error;
      connections.push(peer);
    },
  });
  const stuck = await connect(server.addr.port);
  await connections.wait(1, "the first connection");
  // The first client does not read; the second's onConnection throws.
  const second = await connect(server.addr.port);
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  const first = await deadline(
    readToEnd(stuck, { resetEnds: true }),
    "the first connection closed",
  );
  assert(first.data.length < LARGE, `${first.data.length} bytes`);
  await deadline(readToEnd(second), "the second connection closed");
  assertPortFree(server.addr.port);
});

Deno.test("serveGreeting() with an accept that throws rejects finished and releases the port", async () => {
  const error = new Error("accept failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    accept: () => {
      throw error;
    },
  });
  const { port } = server.addr;
  const { data } = await deadline(readToEnd(await connect(port)), "the close");
  assertEquals(data, new Uint8Array());
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(port);
});

Deno.test("serveGreeting() with an onRefused that throws rejects finished and releases the port", async () => {
  const error = new Error("onRefused failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    access: { deny: ["127.0.0.0/8"] },
    onRefused: () => {
      throw error;
    },
  });
  const { port } = server.addr;
  await deadline(readToEnd(await connect(port)), "the close");
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(port);
});

Deno.test("serveGreeting() with an onRefused whose promise rejects rejects finished with it", async () => {
  const error = new Error("async onRefused failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    accept: () => false,
    onRefused: async () => {
      await Promise.resolve();
      throw error;
    },
  });
  await deadline(readToEnd(await connect(server.addr.port)), "the close");
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(server.addr.port);
});

Deno.test("serveGreeting() with an onSendError that throws rejects finished with it", async () => {
  const error = new Error("onSendError failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    message: new Uint8Array(LARGE).fill(0x67),
    onSendError: () => {
      throw error;
    },
  });
  const rude = await connect(server.addr.port);
  await deadline(rude.read(new Uint8Array(1)), "the first byte");
  // Closing with unread data makes the kernel send a reset.
  rude.close();
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(server.addr.port);
});

Deno.test("serveGreeting() with a trace that throws on accept rejects finished and releases the port", async () => {
  const error = new Error("trace failed");
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    trace: (event) => {
      if (event.call === "accept") throw error;
    },
  });
  await deadline(readToEnd(await connect(server.addr.port)), "the close");
  assertStrictEquals(
    await assertRejects(() => deadline(server.finished, "finished")),
    error,
  );
  assertPortFree(server.addr.port);
});

Deno.test("serveGreeting() with a trace that throws while binding rejects, leaving nothing bound", async () => {
  const error = new Error("trace failed at listen");
  const rejected = await assertRejects(() =>
    serveGreeting({
      hostname: "127.0.0.1",
      trace: (event) => {
        if (event.call === "listen") throw error;
      },
    })
  );
  assertStrictEquals(rejected, error);
});

// ---------------------------------------------------------------------------
// Async callbacks are awaited

Deno.test("serveGreeting() awaits an async onConnection before sending the greeting", async () => {
  let clientGotData = false;
  const seenBeforeSend: boolean[] = [];
  await using server = await serveGreeting({
    hostname: "127.0.0.1",
    onConnection: async () => {
      // A slow callback, say a database write: the greeting waits for it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      seenBeforeSend.push(clientGotData);
    },
  });
  const conn = await connect(server.addr.port);
  const buffer = new Uint8Array(64);
  const n = await deadline(conn.read(buffer), "the greeting");
  clientGotData = true;
  conn.close();
  assertEquals(buffer.subarray(0, n ?? 0), bytes(GREETING));
  assertEquals(seenBeforeSend, [false]);
});

Deno.test("serveGreeting() finished waits for an async onRefused", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const refused = new Calls<Deno.NetAddr>();
  let done = false;
  const server = await serveGreeting({
    hostname: "127.0.0.1",
    accept: () => false,
    onRefused: async (peer) => {
      refused.push(peer);
      await gate;
      done = true;
    },
  });
  await deadline(readToEnd(await connect(server.addr.port)), "the close");
  await refused.wait(1, "onRefused");
  const closing = server.close();
  open();
  await deadline(closing, "close()");
  assert(done);
});

// ---------------------------------------------------------------------------
// The signal

Deno.test("serveGreeting() aborted while it resolves the hostname rejects with the reason, leaving nothing bound", async () => {
  const controller = new AbortController();
  const starting = serveGreeting({
    hostname: "localhost",
    family: 4,
    signal: controller.signal,
  });
  const reason = new Error("changed my mind");
  controller.abort(reason);
  assertStrictEquals(
    await assertRejects(() => deadline(starting, "serveGreeting()")),
    reason,
  );
});

Deno.test("serveGreeting() with an already aborted signal rejects with its reason", async () => {
  const reason = new Error("never mind");
  assertStrictEquals(
    await assertRejects(() =>
      serveGreeting({
        hostname: "127.0.0.1",
        signal: AbortSignal.abort(reason),
      })
    ),
    reason,
  );
});

// ---------------------------------------------------------------------------
// Options checked as Deno's APIs check theirs, before any socket

const RANGE_ERRORS: [string, ServeGreetingOptions, RegExp][] = [
  [
    "a negative port",
    { port: -1 },
    /^Invalid port "-1": must be an integer 0-65535$/,
  ],
  ["a port above 65535", { port: 65_536 }, /^Invalid port "65536"/],
  ["a port that is not an integer", { port: 1.5 }, /^Invalid port "1.5"/],
  ["a NaN port", { port: NaN }, /^Invalid port "NaN"/],
  ["family 5", { family: 5 as 4 }, /^Invalid family "5": must be 0, 4 or 6$/],
  [
    "maxConnections 0",
    { maxConnections: 0 },
    /^Invalid maxConnections "0": must be a positive integer$/,
  ],
  [
    "maxConnections 1.5",
    { maxConnections: 1.5 },
    /^Invalid maxConnections "1.5"/,
  ],
  [
    "workers 0",
    { workers: 0 },
    /^Invalid workers "0": must be a positive integer$/,
  ],
  ["workers NaN", { workers: NaN }, /^Invalid workers "NaN"/],
  [
    "a negative shutdownTimeout",
    { shutdownTimeout: -1 },
    /^Invalid shutdownTimeout "-1": must be a finite number of ms, 0 or more$/,
  ],
  [
    "an infinite shutdownTimeout",
    { shutdownTimeout: Infinity },
    /^Invalid shutdownTimeout "Infinity"/,
  ],
  [
    "a NaN shutdownTimeout",
    { shutdownTimeout: NaN },
    /^Invalid shutdownTimeout "NaN"/,
  ],
];

for (const [what, options, message] of RANGE_ERRORS) {
  Deno.test(`serveGreeting() with ${what} throws RangeError before binding`, async () => {
    const error = await assertRejects(
      () => serveGreeting({ hostname: "127.0.0.1", ...options }),
      RangeError,
    );
    assert(message.test(error.message), error.message);
  });
}

const TYPE_ERRORS: [string, unknown, RegExp][] = [
  [
    "options that are not an object",
    42,
    /^Invalid serveGreeting\(\) options: must be an object$/,
  ],
  [
    "a port given as text",
    { port: "3490" },
    /^Invalid port: must be a number, not string$/,
  ],
  [
    "a hostname that is not text",
    { hostname: 127 },
    /^Invalid hostname: must be a string, not number$/,
  ],
  [
    "a family given as text",
    { family: "4" },
    /^Invalid family: must be a number/,
  ],
  [
    "a message that is neither text nor bytes",
    { message: 42 },
    /^Invalid message: must be a string or a Uint8Array$/,
  ],
  [
    "workers given as text",
    { workers: "2" },
    /^Invalid workers: must be a number/,
  ],
  [
    "an onConnection that is not a function",
    { onConnection: "log" },
    /^Invalid onConnection: must be a function, not string$/,
  ],
  [
    "an accept that is not a function",
    { accept: true },
    /^Invalid accept: must be a function, not boolean$/,
  ],
  [
    "a trace that is not a function",
    { trace: {} },
    /^Invalid trace: must be a function, not object$/,
  ],
  [
    "access lists that are not an object",
    { access: "127.0.0.0/8" },
    /^Invalid access options: must be an object$/,
  ],
  [
    "an access allow list that is not an array",
    { access: { allow: "127.0.0.0/8" } },
    /^Invalid access\.allow: must be an array$/,
  ],
  [
    "a signal that is not an AbortSignal",
    { signal: { aborted: false } },
    /^Invalid signal: must be an AbortSignal, not object$/,
  ],
];

for (const [what, options, message] of TYPE_ERRORS) {
  Deno.test(`serveGreeting() with ${what} throws TypeError before binding`, async () => {
    const error = await assertRejects(
      () => serveGreeting(options as ServeGreetingOptions),
      TypeError,
    );
    assert(message.test(error.message), error.message);
  });
}

Deno.test("serveGreeting() checks its options before the signal: a bad port on an aborted signal is a RangeError", async () => {
  await assertRejects(
    () =>
      serveGreeting({
        hostname: "127.0.0.1",
        port: -1,
        signal: AbortSignal.abort(),
      }),
    RangeError,
  );
});
