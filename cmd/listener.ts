/**
 * `listener`: Beej's datagram "server". Waits on UDP port 4950 and prints
 * who sent each datagram, its length and its contents.
 *
 * ```sh
 * deno task listener [options]      # from a checkout
 * ./listener [options]              # compiled (deno task compile)
 * ```
 *
 * `listener --help` lists its options and its exit codes.
 *
 * @module
 */

import { command, type MainOptions } from "./_command.ts";
import { LISTENER } from "./_listener.ts";

export type { MainOptions } from "./_command.ts";
export type { Sink } from "./_output.ts";

/**
 * Run `listener` with command-line arguments.
 *
 * @example Its help, as `listener --help` prints it
 * ```ts
 * import { main } from "@beejnet/beejnet/listener";
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
 * assertStringIncludes(text, "usage: listener");
 * assertStringIncludes(text, "exit status:");
 * ```
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes, and what stops the listener instead of
 *   SIGINT, SIGTERM and SIGHUP (for tests).
 * @returns The exit code, as `listener --help` lists them.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command(LISTENER, args, io);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
