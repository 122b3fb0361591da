// The Node peer: a Node `net` hello server. Prints its port on stderr once
// listening; SIGTERM closes it.
//
//   node bench/peers/node_server.mjs [PORT]

import net from "node:net";

const greeting = Buffer.from("Hello, world!");
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.end(greeting);
});
server.listen(
  { host: "::", port: Number(process.argv[2] ?? 0), backlog: 4096 },
  () => {
    process.stderr.write(
      `node_server: listening on [::]:${server.address().port}\n`,
    );
  },
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
