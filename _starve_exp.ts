import { sendNumbered } from "./lib/send_numbered.ts";
import { DatagramStats } from "./lib/datagram_stats.ts";
const burst = Deno.args[0] === "inf" ? undefined : Number(Deno.args[0]);
const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const stats = new DatagramStats();
let n = 0;
const receiving = (async () => {
  try {
    for (;;) { const [d, p] = await socket.receive(); stats.record(d, p as Deno.NetAddr); n++; }
  } catch { /* closed */ }
})();
const t0 = performance.now();
const sent = await sendNumbered([{ address: "127.0.0.1", family: 4 }], new Uint8Array(10), { port: (socket.addr as Deno.NetAddr).port, count: 2000, burst });
const t1 = performance.now();
await new Promise((r) => setTimeout(r, 200));
socket.close(); await receiving;
console.log(Deno.args[0], "sent", sent.sent, "received", n, "ms", (t1 - t0).toFixed(1), JSON.stringify(stats.report()[0]?.lost));
