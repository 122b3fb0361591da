// Private to cmd/: what listener and talker need to know of UDP before
// they start — whether Deno has it. Its own module: the talker's start path
// loads only this, not the printers of cmd/_datagram.ts.

import { requireDatagrams } from "../lib/_bind.ts";
import { UnstableNetError } from "../lib/errors.ts";
import { type Failure, failure } from "./_failures.ts";

/**
 * Refuse to start without UDP: `Deno.listenDatagram` exists only under
 * `--unstable-net` (`deno run --no-config`, `deno install`, a JSR user).
 * The library's own check, made before the tool prints anything.
 *
 * @throws {UnstableNetError} When it is missing.
 */
export const checkUdp: () => void = requireDatagrams;

/**
 * Without UDP (the library's {@linkcode UnstableNetError}, from this check or
 * from any UDP call): one line saying so, in the tools' words, with the exit
 * code of "no socket".
 */
export const UDP_FAILURE: Failure = failure(
  UnstableNetError,
  (out) => out.stderr(needsUnstableNet("UDP")),
);

/** The tools' line for a feature behind `--unstable-net`: `WHAT needs ...`. */
export function needsUnstableNet(what: string): string {
  return `${what} needs Deno's --unstable-net flag ` +
    "(deno run --unstable-net ...; deno task sets it from deno.json)";
}
