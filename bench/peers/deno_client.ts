// The Deno floor for the client: one `Deno.connect` to an IP address, read to
// EOF, print. Same interface as cmd/client.ts for an address
// (`HOST --port N`), so it also stands in for the real client while that does
// not exist. It does not resolve names: `localhost` goes to 127.0.0.1.
//
//   deno run --allow-net bench/peers/deno_client.ts 127.0.0.1 --port 3490

const host = Deno.args[0] === "localhost"
  ? "127.0.0.1"
  : Deno.args[0] ?? "127.0.0.1";
const port = Number(Deno.args[Deno.args.indexOf("--port") + 1]);
console.log(`client: connecting to ${host}`);
const conn = await Deno.connect({ hostname: host, port });
const chunks: Uint8Array[] = [];
const buf = new Uint8Array(100);
for (;;) {
  const n = await conn.read(buf);
  if (n === null) break;
  chunks.push(buf.slice(0, n));
}
conn.close();
const text = new TextDecoder().decode(
  new Uint8Array(chunks.flatMap((c) => [...c])),
);
console.log(`client: received '${text}'`);
