// Private to cmd/: how listener and talker show a datagram. The hex dump and
// JSON modules load only when `--hex` or `--json` asks for them: a one-shot
// tool's start-up pays for every module it loads.

import { formatAddress } from "../lib/format_address.ts";
import { escapeBytes } from "../lib/text/escape.ts";
import type { Output } from "./_output.ts";

export { checkUdp, UDP_FAILURE } from "./_udp.ts";

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

/** Shows one numbered datagram: its number, send time and payload. */
export type NumberedPrinter = (
  data: Uint8Array,
  seq: number,
  sentAt: number,
  peer: Deno.NetAddr,
) => void;

/**
 * A printer for numbered datagrams (`listener --stats`): the guide's lines
 * with the sequence number in the first, the payload after the 20-byte
 * header in the third (a hex dump shows the whole datagram); under `--json`
 * a `datagram` event with `seq` and `sent` (ms since the Unix epoch).
 */
export async function numberedPrinter(
  out: Output,
  tool: string,
  hex = false,
): Promise<NumberedPrinter> {
  // Loaded only for --stats, as the printer is.
  const { NUMBERED_HEADER_SIZE: HEADER_SIZE } = await import(
    "../lib/_sender.ts"
  );
  if (out.json) {
    const { dataFields } = await import("../lib/text/json_line.ts");
    return (data, seq, sentAt, peer) =>
      out.event("datagram", {
        address: formatAddress(peer.hostname),
        port: peer.port,
        bytes: data.length,
        seq,
        sent: sentAt,
        ...dataFields(data.subarray(HEADER_SIZE)),
      });
  }
  if (hex) {
    const { hexDump } = await import("../lib/text/hex_dump.ts");
    return (data, seq, _sentAt, peer) => {
      out.stdout(
        `${tool}: got packet ${seq} from ${formatAddress(peer.hostname)}`,
      );
      out.stdout(`${tool}: packet is ${data.length} bytes long`);
      for (const row of hexDump(data)) out.stdout(row);
    };
  }
  return (data, seq, _sentAt, peer) =>
    out.stdout(
      `${tool}: got packet ${seq} from ${formatAddress(peer.hostname)}\n` +
        `${tool}: packet is ${data.length} bytes long\n` +
        `${tool}: packet contains "${
          escapeBytes(data.subarray(HEADER_SIZE))
        }" after the ${HEADER_SIZE}-byte header`,
    );
}
