/**
 * `talker`: Beej's datagram "client". Sends MESSAGE as one datagram to HOST
 * on UDP port 4950.
 *
 * ```sh
 * deno task talker HOST MESSAGE [options]   # from a checkout
 * ./talker HOST MESSAGE [options]           # compiled (deno task compile)
 * ```
 *
 * `talker --help` lists its options and its exit codes.
 *
 * @module
 */

import { command, type MainOptions } from "./_command.ts";
import { TALKER } from "./_talker.ts";

export type { MainOptions } from "./_command.ts";
export type { Sink } from "./_output.ts";

/**
 * Run `talker` with command-line arguments.
 *
 * @example Its help, as `talker --help` prints it
 * ```ts
 * import { main } from "@beejnet/beejnet/talker";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * let text = "";
 * const stdout = {
 *   writeSync(bytes: Uint8Array): number {
 *     text += new TextDecoder().decode(bytes);
 *     return bytes.length;
 *   },
 * };
 * assertEquals(await main(["--help"], { stdout }), 0);
 * assertStringIncludes(text, "usage: talker");
 * assertStringIncludes(text, "exit status:");
 * ```
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes, where `-` reads from, and what stops a run
 *   of numbered datagrams instead of SIGINT, SIGTERM and SIGHUP (for tests).
 * @returns The exit code, as `talker --help` lists them.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command(TALKER, args, io);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
