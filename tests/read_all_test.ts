import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { DEFAULT_MAX_BYTES } from "../lib/constants.ts";
import { type Readable, readAll } from "../lib/read_all.ts";
import { bytes, deadline } from "./_util.ts";

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
  assertStrictEquals(result.timedOut, false);
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
    timedOut: false,
  });
});

Deno.test("readAll() keeps exactly 1 MiB by default and reports more as truncated", async () => {
  const payload = new Uint8Array(DEFAULT_MAX_BYTES + 1000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  const { client, server } = await tcpPair();
  // The rest fits in the socket buffers, so the writer finishes although
  // the reader stops early.
  const writing = writeAll(server, payload);
  const result = await deadline(readAll(client), "readAll");
  await deadline(writing, "the writer");
  server.close();
  client.close();
  assertStrictEquals(DEFAULT_MAX_BYTES, 1_048_576);
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

Deno.test("readAll() gives each chunk to onChunk and collects nothing", async () => {
  const { client, server } = await tcpPair();
  const payload = new Uint8Array(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 256;
  const writing = writeAll(server, payload).then(() => server.close());
  const chunks: Uint8Array[] = [];
  const result = await deadline(
    readAll(client, { onChunk: (chunk) => chunks.push(chunk) }),
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
    onChunk: (chunk) => chunks.push(chunk),
  });
  assertEquals(chunks, [bytes("aaa"), bytes("bbb")]);
});

Deno.test("readAll() gives onChunk no more than maxBytes", async () => {
  const chunks: Uint8Array[] = [];
  const result = await readAll(chunkReader([bytes("abcdef")]), {
    maxBytes: 4,
    onChunk: (chunk) => chunks.push(chunk),
  });
  assertEquals(chunks, [bytes("abcd")]);
  assertStrictEquals(result.bytes, 4);
  assertStrictEquals(result.truncated, true);
});

Deno.test("readAll() stops when the peer is silent for idleTimeout and keeps what arrived", async () => {
  const { client, server } = await tcpPair();
  await writeAll(server, bytes("partial"));
  const result = await deadline(
    readAll(client, { idleTimeout: 100 }),
    "readAll",
  );
  // Closing the reader ends the read the timeout left pending.
  client.close();
  server.close();
  assertStrictEquals(result.timedOut, true);
  assertStrictEquals(result.truncated, false);
  assertStrictEquals(result.bytes, 7);
  assertStrictEquals(new TextDecoder().decode(result.data), "partial");
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
  assertStrictEquals(result.timedOut, false);
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
  const reading = readAll(reader, { idleTimeout: 100 }).finally(() => {
    done = true;
  });
  await time.tickAsync(99);
  assertStrictEquals(done, false);
  await time.tickAsync(1);
  const result = await reading;
  assertStrictEquals(result.timedOut, true);
  assertStrictEquals(new TextDecoder().decode(result.data), "b");
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
