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
 * @example Print its help, as `server --help` does
 * ```ts ignore
 * import { main } from "@beejnet/beejnet/server";
 *
 * Deno.exitCode = await main(["--help"]);
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
