/**
 * `client`: Beej's stream client. Connects to HOST on port 3490, trying every
 * address the name resolves to, and prints what the server sends until it
 * closes the connection.
 *
 * ```sh
 * deno task client HOST [options]   # from a checkout
 * ./client HOST [options]           # compiled (deno task compile)
 * ```
 *
 * `client --help` lists its options and its exit codes.
 *
 * @module
 */

import { CLIENT } from "./_client.ts";
import { command, type MainOptions } from "./_command.ts";

export type { MainOptions } from "./_command.ts";
export type { Sink } from "./_output.ts";

/**
 * Run `client` with command-line arguments.
 *
 * @example Its help, as `client --help` prints it
 * ```ts
 * import { main } from "@beejnet/beejnet/client";
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
 * assertStringIncludes(text, "usage: client");
 * assertStringIncludes(text, "exit status:");
 * ```
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes, and what stops a read instead of SIGINT,
 *   SIGTERM and SIGHUP (for tests).
 * @returns The exit code, as `client --help` lists them.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command(CLIENT, args, io);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
