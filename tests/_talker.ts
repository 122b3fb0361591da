// Helpers shared by talker's test files (tests/talker_test.ts,
// tests/talker_numbered_test.ts): a receiving socket, one datagram received
// within the deadline, and the talker run in process to its end.

import { main } from "../cmd/talker.ts";
import {
  closing,
  deadline,
  type InProcess,
  runInProcess,
  udpSocket,
} from "./_util.ts";

/** A receiving socket on `hostname:0`. */
export function receiver(
  hostname = "127.0.0.1",
): Deno.DatagramConn & Disposable {
  return closing(udpSocket(hostname));
}

/** The port a socket is bound to. */
export function portOf(socket: Deno.DatagramConn): number {
  return (socket.addr as Deno.NetAddr).port;
}

/** Receive one datagram (of any size) within the deadline. */
export async function receive(
  socket: Deno.DatagramConn,
): Promise<[Uint8Array, Deno.NetAddr]> {
  const [data, addr] = await deadline(
    socket.receive(new Uint8Array(65_536)),
    "a datagram",
  );
  return [data, addr as Deno.NetAddr];
}

/** Run the talker to its end; its exit code and output. */
export async function talker(
  args: string[],
  stdin?: Uint8Array[],
): Promise<{ code: number; run: InProcess }> {
  const run = runInProcess(
    main,
    args,
    stdin ? { stdin: ReadableStream.from(stdin) } : {},
  );
  const code = await deadline(run.code, `talker ${args.join(" ")}`);
  return { code, run };
}
