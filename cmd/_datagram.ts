// Private to cmd/: how listener and talker show a datagram. The hex dump and
// JSON modules load only when `--hex` or `--json` asks for them: a one-shot
// tool's start-up pays for every module it loads.

import { formatAddress } from "../lib/format_address.ts";
import { escapeBytes } from "../lib/text/escape.ts";
import { encoder, type Output } from "./_output.ts";

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
  return guidePrinter(out, tool);
}

/**
 * The guide's three lines, encoded straight into the output's buffer: the
 * listener prints them for every datagram, at tens of thousands a second,
 * and strings built, joined and encoded again cost it about a tenth of
 * what it took in under a flat-out sender with its output to a file
 * (163–177k datagrams/s before, 179–194k after, measured by hand). Byte for byte what
 * `${tool}: got packet from ${address}\n${tool}: packet is ${n} bytes long\n${tool}: packet contains "${escapeBytes(data)}"\n`
 * encodes to (a test holds the two together).
 */
function guidePrinter(out: Output, tool: string): DatagramPrinter {
  const middle = encoder.encode(` bytes long\n${tool}: packet contains "`);
  // The first line and the start of the second, for the last sender.
  let sender = "";
  let head = new Uint8Array();
  return (data, peer) => {
    if (peer.hostname !== sender) {
      sender = peer.hostname;
      head = encoder.encode(
        `${tool}: got packet from ${
          formatAddress(sender)
        }\n${tool}: packet is `,
      );
    }
    // Printable ASCII without a backslash is its own escape.
    const escaped = isPlain(data) ? undefined : escapeBytes(data);
    const body = escaped === undefined ? data.length : 3 * escaped.length;
    out.stdoutLines(
      head.length + 16 + middle.length + body + 2,
      (buffer, at) => {
        buffer.set(head, at);
        at = writeDecimal(buffer, at + head.length, data.length);
        buffer.set(middle, at);
        at += middle.length;
        if (escaped === undefined) {
          buffer.set(data, at);
          at += data.length;
        } else {
          at += encoder.encodeInto(escaped, buffer.subarray(at)).written;
        }
        buffer[at++] = 0x22; // "
        buffer[at++] = 0x0a;
        return at;
      },
    );
  };
}

/** Whether every byte is printable ASCII other than the backslash. */
function isPlain(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte < 0x20 || byte > 0x7e || byte === 0x5c) return false;
  }
  return true;
}

/** Writes `n`, a safe non-negative integer, in decimal at `at`; returns the end. */
function writeDecimal(buffer: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  for (let i = at + digits - 1, v = n; i >= at; i--, v = Math.floor(v / 10)) {
    buffer[i] = 0x30 + (v % 10);
  }
  return at + digits;
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
