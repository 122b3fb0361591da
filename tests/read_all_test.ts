import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  fail,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { type Readable, readAll } from "../lib/read_all.ts";
import { assertRejectsExactly, bytes, deadline } from "./_util.ts";

/** A connected pair of TCP connections on loopback. */
async function tcpPair(): Promise<
  { client: Deno.TcpConn; server: Deno.TcpConn }
> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const client = await deadline(
    Deno.connect({ port: listener.addr.port }),
    "connect",
  );
  const server = await deadline(accepting, "accept");
  return { client, server };
}

/** Write all of `data`, however many writes it takes. */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let sent = 0; sent < data.length;) {
    sent += await conn.write(data.subarray(sent));
  }
}

/** A reader that returns the given chunks, one per read, then EOF. */
function chunkReader(chunks: Uint8Array[]): Readable & { reads: number } {
  return {
    reads: 0,
    read(buffer: Uint8Array): Promise<number | null> {
      this.reads++;
      const chunk = chunks.shift();
      if (!chunk) return Promise.resolve(null);
      buffer.set(chunk);
      return Promise.resolve(chunk.length);
    },
  };
}

Deno.test("readAll() reads until EOF across several writes", async () => {
  const { client, server } = await tcpPair();
  const writing = (async () => {
    await writeAll(server, bytes("one "));
    await writeAll(server, bytes("two "));
    await writeAll(server, bytes("three"));
    server.close();
  })();
  const result = await deadline(readAll(client), "readAll");
  await writing;
  client.close();
  assertStrictEquals(new TextDecoder().decode(result.data), "one two three");
  assertStrictEquals(result.bytes, 13);
  assertStrictEquals(result.truncated, false);
  assertEquals(Object.keys(result).sort(), ["bytes", "data", "truncated"]);
});

Deno.test("readAll() joins the chunks of several reads in order", async () => {
  const reader = chunkReader([bytes("ab"), bytes("cd"), bytes("e")]);
  const result = await readAll(reader);
  assertEquals(result.data, bytes("abcde"));
  assertStrictEquals(result.bytes, 5);
  assertStrictEquals(reader.reads, 4);
});

Deno.test("readAll() returns no bytes when the peer closes at once", async () => {
  const { client, server } = await tcpPair();
  server.close();
  const result = await deadline(readAll(client), "readAll");
  client.close();
  assertEquals(result, {
    data: new Uint8Array(),
    bytes: 0,
    truncated: false,
  });
});

Deno.test("readAll() keeps exactly 1 MiB by default and reports more as truncated", async () => {
  const payload = new Uint8Array(1_048_576 + 1000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  const { client, server } = await tcpPair();
  // The rest fits in the socket buffers, so the writer finishes although
  // the reader stops early.
  const writing = writeAll(server, payload);
  const result = await deadline(readAll(client), "readAll");
  await deadline(writing, "the writer");
  server.close();
  client.close();
  assertStrictEquals(result.truncated, true);
  assertStrictEquals(result.bytes, 1_048_576);
  assertStrictEquals(result.data.length, 1_048_576);
  assertEquals(result.data, payload.subarray(0, 1_048_576));
});

Deno.test("readAll() does not report truncated when the peer sends exactly maxBytes", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("0123456789"));
  server.close();
  const result = await deadline(readAll(client, { maxBytes: 10 }), "readAll");
  client.close();
  assertStrictEquals(result.truncated, false);
  assertStrictEquals(result.bytes, 10);
  assertStrictEquals(new TextDecoder().decode(result.data), "0123456789");
});

Deno.test("readAll() reports truncated when the peer sends one byte more than maxBytes", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("0123456789x"));
  server.close();
  const result = await deadline(readAll(client, { maxBytes: 10 }), "readAll");
  client.close();
  assertStrictEquals(result.truncated, true);
  assertStrictEquals(result.bytes, 10);
  assertStrictEquals(new TextDecoder().decode(result.data), "0123456789");
});

Deno.test("readAll() reports truncated when the extra byte comes in a later read", async () => {
  const reader = chunkReader([bytes("01234"), bytes("56789"), bytes("x")]);
  const result = await readAll(reader, { maxBytes: 10 });
  assertStrictEquals(result.truncated, true);
  assertStrictEquals(new TextDecoder().decode(result.data), "0123456789");
});

Deno.test("readAll() resolves with exactly maxBytes, not truncated, when the peer then stays open and silent for idleTimeout", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("0123456789")); // and the peer stays open
  const result = await deadline(
    readAll(client, { maxBytes: 10, idleTimeout: 50 }),
    "readAll",
  );
  // Closing the reader ends the read that looked for more.
  client.close();
  server.close();
  assertStrictEquals(result.truncated, false);
  assertStrictEquals(result.bytes, 10);
  assertStrictEquals(new TextDecoder().decode(result.data), "0123456789");
});

Deno.test("readAll() with onChunk and exactly maxBytes then a silence resolves; the chunks went to onChunk", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("0123456789"));
  const arrived: string[] = [];
  const result = await deadline(
    readAll(client, {
      maxBytes: 10,
      idleTimeout: 50,
      onChunk: (chunk) => void arrived.push(new TextDecoder().decode(chunk)),
    }),
    "readAll",
  );
  client.close();
  server.close();
  assertEquals([result.bytes, result.truncated], [10, false]);
  assertStrictEquals(arrived.join(""), "0123456789");
});

/**
 * A reader that returns `first`, then a read that settles only when the
 * test says: `end()` resolves it with EOF, `more()` with one more byte.
 */
function heldReader(first: Uint8Array): Readable & {
  reads: number;
  end(): void;
  more(): void;
  fail(error: unknown): void;
} {
  let settle: ((n: number | null) => void) | undefined;
  let reject: ((error: unknown) => void) | undefined;
  let target: Uint8Array | undefined;
  return {
    reads: 0,
    read(buffer: Uint8Array): Promise<number | null> {
      if (this.reads++ === 0) {
        buffer.set(first);
        return Promise.resolve(first.length);
      }
      target = buffer;
      return new Promise((resolve, rejecting) => {
        settle = resolve;
        reject = rejecting;
      });
    },
    end: () => settle!(null),
    more: () => {
      target![0] = 0x78;
      settle!(1);
    },
    fail: (error) => reject!(error),
  };
}

/** Turns of the event loop until `reader` was asked for `reads` reads. */
async function untilReads(
  reader: { reads: number },
  reads: number,
): Promise<void> {
  for (let turn = 0; reader.reads < reads; turn++) {
    assert(turn < 100, `only ${reader.reads} reads`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("readAll() without idleTimeout, having read exactly maxBytes, waits for the peer to close or send more", async () => {
  for (const [ending, truncated] of [["end", false], ["more", true]] as const) {
    const reader = heldReader(bytes("0123456789"));
    let settled = false;
    const reading = readAll(reader, { maxBytes: 10 }).finally(() => {
      settled = true;
    });
    await untilReads(reader, 2);
    assertStrictEquals(settled, false, "it waits on the second read");
    reader[ending]();
    const result = await deadline(reading, "readAll");
    assertEquals([result.bytes, result.truncated], [10, truncated]);
    assertStrictEquals(new TextDecoder().decode(result.data), "0123456789");
  }
});

Deno.test("readAll() having read exactly maxBytes still rejects with what the last read throws, a TimeoutError of its own included", async () => {
  for (const idleTimeout of [undefined, 60_000]) {
    const reader = heldReader(bytes("0123456789"));
    const reading = readAll(reader, { maxBytes: 10, idleTimeout });
    await untilReads(reader, 2);
    const error = new DOMException("the reader's own", "TimeoutError");
    reader.fail(error);
    const thrown = await assertRejects(() => deadline(reading, "readAll"));
    assertStrictEquals(thrown, error);
  }
});

Deno.test("readAll() having read exactly maxBytes rejects when its signal aborts during the last read", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("0123456789"));
  const controller = new AbortController();
  const arrived: string[] = [];
  const reading = readAll(client, {
    maxBytes: 10,
    idleTimeout: 60_000,
    signal: controller.signal,
    onChunk: (chunk) => {
      arrived.push(new TextDecoder().decode(chunk));
      if (arrived.join("").length === 10) {
        setTimeout(() => controller.abort(new Error("stop")), 0);
      }
    },
  });
  const error = await assertRejects(() => deadline(reading, "readAll"));
  assertStrictEquals((error as Error).message, "stop");
  assertStrictEquals(arrived.join(""), "0123456789");
  client.close();
  server.close();
});

Deno.test("readAll() gives each chunk to onChunk and collects nothing", async () => {
  const { client, server } = await tcpPair();
  const payload = new Uint8Array(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 256;
  const writing = writeAll(server, payload).then(() => server.close());
  const chunks: Uint8Array[] = [];
  const result = await deadline(
    readAll(client, { onChunk: (chunk) => void chunks.push(chunk) }),
    "readAll",
  );
  await writing;
  client.close();
  assertStrictEquals(result.data.length, 0);
  assertStrictEquals(result.bytes, payload.length);
  assertStrictEquals(result.truncated, false);
  assert(chunks.length >= 1);
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  assertEquals(joined, payload);
});

Deno.test("readAll() gives onChunk chunks that later reads do not overwrite", async () => {
  const chunks: Uint8Array[] = [];
  await readAll(chunkReader([bytes("aaa"), bytes("bbb")]), {
    onChunk: (chunk) => void chunks.push(chunk),
  });
  assertEquals(chunks, [bytes("aaa"), bytes("bbb")]);
});

Deno.test("readAll() gives onChunk no more than maxBytes", async () => {
  const chunks: Uint8Array[] = [];
  const result = await readAll(chunkReader([bytes("abcdef")]), {
    maxBytes: 4,
    onChunk: (chunk) => void chunks.push(chunk),
  });
  assertEquals(chunks, [bytes("abcd")]);
  assertStrictEquals(result.bytes, 4);
  assertStrictEquals(result.truncated, true);
});

Deno.test("readAll() rejects with a TimeoutError DOMException when the peer is silent for idleTimeout; what arrived went to onChunk", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("partial"));
  const arrived: Uint8Array[] = [];
  const error = await deadline(
    readAll(client, {
      idleTimeout: 100,
      onChunk: (chunk) => void arrived.push(chunk),
    }).then(
      () => fail("resolved although the peer went silent"),
      (error: unknown) => error,
    ),
    "readAll",
  );
  // Closing the reader ends the read the timeout left pending.
  client.close();
  server.close();
  assert(error instanceof DOMException, String(error));
  assertStrictEquals(error.name, "TimeoutError");
  assertStrictEquals(
    arrived.map((c) => new TextDecoder().decode(c)).join(""),
    "partial",
  );
});

Deno.test("readAll() without onChunk rejects on a silence too, never resolving with part of the stream", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("partial"));
  await assertRejectsExactly(
    deadline(readAll(client, { idleTimeout: 50 }), "readAll"),
    DOMException,
    { name: "TimeoutError" },
  );
  client.close();
  server.close();
});

Deno.test("readAll() times idleTimeout per read, not for the whole stream", async () => {
  // Fake time: five reads of 49 ms each take far longer than the 50 ms
  // limit in all, but no single read does.
  using time = new FakeTime();
  let left = 5;
  const reader: Readable = {
    read(buffer): Promise<number | null> {
      return new Promise((resolve) => {
        setTimeout(() => {
          if (left === 0) return resolve(null);
          left--;
          buffer[0] = 0x61;
          resolve(1);
        }, 49);
      });
    },
  };
  const reading = readAll(reader, { idleTimeout: 50 });
  for (let read = 0; read < 6; read++) await time.tickAsync(49);
  const result = await reading;
  assertStrictEquals(new TextDecoder().decode(result.data), "aaaaa");
});

Deno.test("readAll() gives up on a silent reader exactly idleTimeout ms after the last data", async () => {
  using time = new FakeTime();
  let reads = 0;
  const reader: Readable = {
    read(buffer): Promise<number | null> {
      if (reads++ > 0) return new Promise(() => {}); // silent from now on
      buffer[0] = 0x62;
      return Promise.resolve(1);
    },
  };
  let done = false;
  const arrived: string[] = [];
  const reading = readAll(reader, {
    idleTimeout: 100,
    onChunk: (chunk) => void arrived.push(new TextDecoder().decode(chunk)),
  }).finally(() => {
    done = true;
  });
  reading.catch(() => {}); // asserted below, after the ticks
  await time.tickAsync(99);
  assertStrictEquals(done, false);
  await time.tickAsync(1);
  await assertRejectsExactly(reading, DOMException, { name: "TimeoutError" });
  assertEquals(arrived, ["b"]);
});

Deno.test("readAll() keeps binary data with NUL bytes intact", async () => {
  const payload = new Uint8Array([0, 1, 0, 255, 0, 0x1b, 0x80, 0]);
  const { client, server } = await tcpPair();
  await writeAll(server, payload);
  server.close();
  const result = await deadline(readAll(client), "readAll");
  client.close();
  assertEquals(result.data, payload);
  assertStrictEquals(result.bytes, payload.length);
});

Deno.test("readAll() rethrows an error from read", async () => {
  const failure = new Deno.errors.ConnectionReset("Connection reset by peer");
  let reads = 0;
  const reader: Readable = {
    read(buffer): Promise<number | null> {
      if (reads++ === 0) {
        buffer.set(bytes("x"));
        return Promise.resolve(1);
      }
      return Promise.reject(failure);
    },
  };
  const error = await assertRejects(() => readAll(reader));
  assertStrictEquals(error, failure);
});

Deno.test("readAll() stops when its signal aborts, rejecting with the reason; what arrived went to onChunk", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("abc"));
  const controller = new AbortController();
  const got: string[] = [];
  const reading = readAll(client, {
    signal: controller.signal,
    onChunk: (chunk) => {
      got.push(new TextDecoder().decode(chunk));
      controller.abort(new Error("stop"));
    },
  });
  const error = await assertRejects(() => reading);
  assertStrictEquals((error as Error).message, "stop");
  assertEquals(got, ["abc"]);
  client.close();
  server.close();
});

Deno.test("readAll() with an idle limit stops on its signal too", async () => {
  const { client, server } = await tcpPair();
  const controller = new AbortController();
  const reading = readAll(client, {
    idleTimeout: 60_000,
    signal: controller.signal,
  });
  controller.abort(new Error("stop"));
  const error = await assertRejects(() => reading);
  assertStrictEquals((error as Error).message, "stop");
  client.close();
  server.close();
});

// readAll: its options, checked as Deno's own APIs check theirs

Deno.test("readAll() refuses a maxBytes of NaN with a RangeError instead of dropping the stream", async () => {
  const reader = chunkReader([bytes("abc")]);
  await assertRejects(
    () => readAll(reader, { maxBytes: NaN }),
    RangeError,
    'Invalid maxBytes "NaN": must be a positive integer or Infinity',
  );
  assertStrictEquals(reader.reads, 0);
});

Deno.test("readAll() refuses a maxBytes of 1.5, 0 or a negative number with a RangeError", async () => {
  for (const maxBytes of [1.5, 0, -1, -Infinity]) {
    await assertRejects(
      () => readAll(chunkReader([bytes("abc")]), { maxBytes }),
      RangeError,
      `Invalid maxBytes "${maxBytes}": must be a positive integer or Infinity`,
    );
  }
});

Deno.test("readAll() refuses a maxBytes that is not a number with a TypeError", async () => {
  await assertRejects(
    () => readAll(chunkReader([]), { maxBytes: "10" as unknown as number }),
    TypeError,
    "Invalid maxBytes: must be a number, not string",
  );
});

Deno.test("readAll() with maxBytes Infinity keeps everything, past the 1 MiB default", async () => {
  const chunk = new Uint8Array(65_536).fill(7);
  const reader = chunkReader(Array.from({ length: 20 }, () => chunk));
  const result = await readAll(reader, { maxBytes: Infinity });
  assertStrictEquals(result.bytes, 20 * 65_536);
  assertStrictEquals(result.data.length, 20 * 65_536);
  assertStrictEquals(result.truncated, false);
});

Deno.test("readAll() refuses an idleTimeout that is not more than 0 and at most 2147483647 ms with a RangeError", async () => {
  for (const idleTimeout of [0, -5, NaN, Infinity, 2 ** 31]) {
    const reader = chunkReader([bytes("abc")]);
    await assertRejects(
      () => readAll(reader, { idleTimeout }),
      RangeError,
      `Invalid idleTimeout "${idleTimeout}": must be more than 0 and at most 2147483647 ms`,
    );
    assertStrictEquals(reader.reads, 0);
  }
  await assertRejects(
    () => readAll(chunkReader([]), { idleTimeout: "100" as unknown as number }),
    TypeError,
    "Invalid idleTimeout: must be a number, not string",
  );
});

Deno.test("readAll() refuses a reader, options, signal or onChunk of the wrong type with a TypeError", async () => {
  await assertRejects(
    () => readAll({} as Readable),
    TypeError,
    "Invalid reader: must have a read() method",
  );
  await assertRejects(
    () => readAll(null as unknown as Readable),
    TypeError,
    "Invalid reader: must have a read() method",
  );
  await assertRejects(
    () => readAll(chunkReader([]), null as unknown as object),
    TypeError,
    "Invalid readAll() options: must be an object",
  );
  await assertRejects(
    () =>
      readAll(chunkReader([]), {
        signal: { aborted: false } as unknown as AbortSignal,
      }),
    TypeError,
    "Invalid signal: must be an AbortSignal, not object",
  );
  await assertRejects(
    () =>
      readAll(chunkReader([]), {
        onChunk: "print" as unknown as () => void,
      }),
    TypeError,
    "Invalid onChunk: must be a function, not string",
  );
});

Deno.test("readAll() with a signal already aborted rejects with its reason before any read", async () => {
  const reason = new Error("stopped before");
  const reader = chunkReader([bytes("abc")]);
  const error = await assertRejects(() =>
    readAll(reader, { signal: AbortSignal.abort(reason) })
  );
  assertStrictEquals(error, reason);
  assertStrictEquals(reader.reads, 0);
});

Deno.test("readAll() rejects with what onChunk throws", async () => {
  const failure = new Error("the callback's own");
  const error = await assertRejects(() =>
    readAll(chunkReader([bytes("a"), bytes("b")]), {
      onChunk: () => {
        throw failure;
      },
    })
  );
  assertStrictEquals(error, failure);
});

Deno.test("readAll() awaits an async onChunk: its rejection rejects readAll(), and the next read waits for it", async () => {
  const failure = new Error("the callback's own");
  const reader = chunkReader([bytes("a"), bytes("b")]);
  const error = await assertRejects(() =>
    readAll(reader, {
      onChunk: async () => {
        await Promise.resolve();
        throw failure;
      },
    })
  );
  assertStrictEquals(error, failure);
  assertStrictEquals(reader.reads, 1);
});

Deno.test("readAll()'s data is a Uint8Array<ArrayBuffer>, ready for crypto.subtle.digest and Blob", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("abc"));
  server.close();
  const { data } = await deadline(readAll(client), "readAll");
  client.close();
  // Both type-check only with an ArrayBuffer-backed array (TypeScript 6).
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  assertStrictEquals(digest[0], 0xba); // SHA-256("abc") = ba7816bf…
  assertStrictEquals(await new Blob([data]).text(), "abc");
  const joined = (await readAll(chunkReader([bytes("a"), bytes("bc")]))).data;
  assertStrictEquals(await new Blob([joined]).text(), "abc");
});

Deno.test("readAll() awaits an onChunk that returns a thenable, not only a Promise, and rejects with its error", async () => {
  const oops = new Error("thenable rejected");
  let reads = 0;
  const reader: Readable = {
    read: (buffer) => {
      if (reads++ > 0) return Promise.resolve(null);
      buffer.set([1, 2, 3]);
      return Promise.resolve(3);
    },
  };
  const thenable = {
    then: (_resolve: unknown, reject: (e: unknown) => void): void =>
      reject(oops),
  };
  const error = await readAll(reader, {
    onChunk: () => thenable as unknown as Promise<void>,
  }).catch((e: unknown) => e);
  assertStrictEquals(error, oops);
});
