// Private to cmd/: how listener and talker show a datagram.

import { escapeBytes } from "../lib/escape.ts";
import { formatAddress } from "../lib/format_address.ts";
import { hexDump } from "../lib/hex_dump.ts";
import { dataFields } from "../lib/json_line.ts";
import type { Output } from "./_cli.ts";

/**
 * Show a datagram as Beej's listener does — sender, length, contents
 * (escaped, or as a hex dump) — and as a `datagram` JSON event.
 */
export function printDatagram(
  out: Output,
  tool: string,
  data: Uint8Array,
  peer: Deno.NetAddr,
  hex = false,
): void {
  const address = formatAddress(peer.hostname);
  if (out.json) {
    out.event("datagram", {
      address,
      port: peer.port,
      bytes: data.length,
      ...dataFields(data),
    });
  } else if (hex) {
    out.line(`${tool}: got packet from ${address}`);
    out.line(`${tool}: packet is ${data.length} bytes long`);
    for (const row of hexDump(data)) out.line(row);
  } else {
    out.line(
      `${tool}: got packet from ${address}\n` +
        `${tool}: packet is ${data.length} bytes long\n` +
        `${tool}: packet contains "${escapeBytes(data)}"`,
    );
  }
}
