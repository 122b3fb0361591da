/**
 * `server`: Beej's stream server. Every connection gets `Hello, world!` and
 * is closed; connections are served concurrently in one process.
 *
 * ```sh
 * deno task server [options]        # from a checkout
 * ./server [options]                # compiled (deno task compile)
 * ```
 *
 * `server --help` lists its options and its exit codes.
 *
 * @module
 */

import { command, type MainOptions } from "./_command.ts";
import { SERVER } from "./_server.ts";

export type { MainOptions } from "./_command.ts";
export type { Sink } from "./_output.ts";

/**
 * Run `server` with command-line arguments.
 *
 * @example Its help, as `server --help` prints it
 * ```ts
 * import { main } from "@beejnet/beejnet/server";
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
 * assertStringIncludes(text, "usage: server");
 * assertStringIncludes(text, "exit status:");
 * ```
 *
 * @param args The arguments, without the program name.
 * @param io Where output goes, and what stops the server instead of SIGINT,
 *   SIGTERM and SIGHUP (for tests).
 * @returns The exit code, as `server --help` lists them.
 */
export function main(args: string[], io: MainOptions = {}): Promise<number> {
  return command(SERVER, args, io);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
