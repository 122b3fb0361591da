// The Deno floor for the server: a minimal `Deno.listen` loop with the same
// interface as cmd/server.ts (`--port N`, `--quiet`), so it also stands in for
// the real server while that does not exist. Rejects `--workers`.
//
//   deno run --allow-net bench/peers/deno_server.ts --port 0 [--quiet]

const greeting = new TextEncoder().encode("Hello, world!");
let port = 0;
let quiet = false;
for (let i = 0; i < Deno.args.length; i++) {
  const arg = Deno.args[i];
  if (arg === "--quiet") quiet = true;
  else if (arg === "--port") port = Number(Deno.args[++i]);
  else {
    console.error(`server: unknown option "${arg}"`);
    Deno.exit(2);
  }
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  try {
    if (!quiet) {
      console.log(`server: got connection from ${conn.remoteAddr.hostname}`);
    }
    await conn.write(greeting);
  } catch {
    // The peer went away: nothing to tell.
  } finally {
    conn.close();
  }
}

const listener = Deno.listen({ hostname: "::", port });
Deno.addSignalListener("SIGTERM", () => listener.close());
console.error(`server: listening on [::]:${listener.addr.port}`);
console.log("server: waiting for connections...");
try {
  for await (const conn of listener) serve(conn);
} catch (err) {
  if (!(err instanceof Deno.errors.BadResource)) throw err;
}
