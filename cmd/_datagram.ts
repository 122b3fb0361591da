// Private to cmd/: how listener and talker show a datagram. The hex dump and
// JSON modules load only when `--hex` or `--json` asks for them: a one-shot
// tool's start-up pays for every module it loads.

import { formatAddress } from "../lib/format_address.ts";
import { escapeBytes } from "../lib/text/escape.ts";
import type { Output } from "./_cli.ts";

/** Shows one datagram and who sent it. */
export type DatagramPrinter = (data: Uint8Array, peer: Deno.NetAddr) => void;

/**
 * A printer for datagrams as Beej's listener shows them — sender, length,
 * contents (escaped, or as a hex dump) — or as `datagram` JSON events.
 */
export async function datagramPrinter(
  out: Output,
  tool: string,
  hex = false,
): Promise<DatagramPrinter> {
  if (out.json) {
    const { dataFields } = await import("../lib/text/json_line.ts");
    return (data, peer) =>
      out.event("datagram", {
        address: formatAddress(peer.hostname),
        port: peer.port,
        bytes: data.length,
        ...dataFields(data),
      });
  }
  if (hex) {
    const { hexDump } = await import("../lib/text/hex_dump.ts");
    return (data, peer) => {
      out.stdout(`${tool}: got packet from ${formatAddress(peer.hostname)}`);
      out.stdout(`${tool}: packet is ${data.length} bytes long`);
      for (const row of hexDump(data)) out.stdout(row);
    };
  }
  return (data, peer) =>
    out.stdout(
      `${tool}: got packet from ${formatAddress(peer.hostname)}\n` +
        `${tool}: packet is ${data.length} bytes long\n` +
        `${tool}: packet contains "${escapeBytes(data)}"`,
    );
}
