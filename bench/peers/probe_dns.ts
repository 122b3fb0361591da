// Probe: one getaddrinfo through node:dns, as a client resolving a name does.
const { lookup } = await import("node:dns/promises");
await lookup("localhost", { all: true });
