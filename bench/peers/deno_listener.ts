// The Deno floor for the listener: a minimal `Deno.listenDatagram` receive loop
// with the same interface as `cmd/listener.ts --keep` (`--port N`, `--quiet`),
// so it also stands in for the real listener while that does not exist.
//
//   deno run --allow-net bench/peers/deno_listener.ts --port 0 --keep [--quiet]

let port = 0;
let quiet = false;
for (let i = 0; i < Deno.args.length; i++) {
  const arg = Deno.args[i];
  if (arg === "--quiet") quiet = true;
  else if (arg === "--port") port = Number(Deno.args[++i]);
  else if (arg !== "--keep") {
    console.error(`listener: unknown option "${arg}"`);
    Deno.exit(2);
  }
}

const decoder = new TextDecoder();
const buffer = new Uint8Array(65_536); // reused: receive() without one allocates 64 KiB each time
const socket = Deno.listenDatagram({ transport: "udp", hostname: "::", port });
const stop = (): void => socket.close();
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.error(
  `listener: listening on [::]:${(socket.addr as Deno.NetAddr).port}`,
);
console.log("listener: waiting to recvfrom...");
try {
  for (;;) {
    const [data, from] = await socket.receive(buffer);
    if (quiet) continue;
    console.log(`listener: got packet from ${(from as Deno.NetAddr).hostname}`);
    console.log(`listener: packet is ${data.length} bytes long`);
    console.log(`listener: packet contains "${decoder.decode(data)}"`);
  }
} catch (err) {
  // Closing the socket ends a pending receive with one of these.
  if (
    !(err instanceof Deno.errors.BadResource ||
      err instanceof Deno.errors.Interrupted)
  ) {
    throw err;
  }
}
Deno.exit(0);
