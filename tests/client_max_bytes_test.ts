/**
 * `client --max-bytes` at the edge: a server that sends exactly that many
 * bytes and then keeps the connection open. readAll() reads once more only
 * to tell whether more follows; with `-w`, the silence after all of
 * `--max-bytes` ends the read like a close: nothing was cut, exit 0.
 *
 * @module
 */

import { assertEquals, assertStrictEquals } from "@std/assert";
import { main } from "../cmd/client.ts";
import { onePeer } from "./_peers.ts";
import { bytes, deadline, runInProcess } from "./_util.ts";

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let sent = 0; sent < data.length;) {
    sent += await conn.write(data.subarray(sent));
  }
}

Deno.test("client --max-bytes 10 -w 0.2 against a server that sends exactly 10 bytes and stays open: shown whole, exit 0", async () => {
  const server = onePeer(async (conn) => {
    await writeAll(conn, bytes("0123456789"));
    // Hold the connection open until the client closes it.
    await conn.read(new Uint8Array(1)).catch(() => null);
  });
  const run = runInProcess(main, [
    "--max-bytes",
    "10",
    "-w",
    "0.2",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  const code = await deadline(run.code, "client");
  await deadline(server.done, "the server to close");
  assertStrictEquals(code, 0);
  assertEquals(run.stdout.lines, [
    "client: connecting to 127.0.0.1",
    "client: received '0123456789'",
  ]);
  assertStrictEquals(run.stderr.text, "");
});

Deno.test("client --max-bytes 10 -w 0.2 --json against a server that sends exactly 10 bytes and stays open: not truncated", async () => {
  const server = onePeer(async (conn) => {
    await writeAll(conn, bytes("0123456789"));
    await conn.read(new Uint8Array(1)).catch(() => null);
  });
  const run = runInProcess(main, [
    "--json",
    "--max-bytes",
    "10",
    "-w",
    "0.2",
    "-p",
    `${server.port}`,
    "127.0.0.1",
  ]);
  const code = await deadline(run.code, "client");
  await deadline(server.done, "the server to close");
  assertStrictEquals(code, 0);
  const received = run.stdout.lines.map((line) => JSON.parse(line))
    .find((event) => event.event === "received");
  assertEquals(
    [received?.bytes, received?.text, received?.truncated],
    [10, "0123456789", false],
  );
  assertStrictEquals(run.stderr.text, "");
});
