// The Deno floor for the talker: one `Deno.listenDatagram` socket, one send
// of the message to an IP address, print. Same interface as cmd/talker.ts for
// an address (`HOST MESSAGE [--port N]`); it does not resolve names.
//
//   deno run --allow-net bench/peers/deno_talker.ts 127.0.0.1 hi

const [host = "127.0.0.1", message = "hi"] = Deno.args;
const at = Deno.args.indexOf("--port");
const port = at < 0 ? 4950 : Number(Deno.args[at + 1]);
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: host.includes(":") ? "::" : "0.0.0.0",
  port: 0,
});
const sent = await socket.send(new TextEncoder().encode(message), {
  transport: "udp",
  hostname: host,
  port,
});
socket.close();
console.log(`talker: sent ${sent} bytes to ${host}`);
