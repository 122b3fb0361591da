// Private to lib/: lib/resolve.ts's `resolve()` past its common case, in a
// module of its own so that a one-shot tool given an address literal never
// loads it (bench/STARTUP.md).

import { checkFamily, checkFunction, checkOptions } from "./_check.ts";
import { ResolveError, tracerFor } from "./errors.ts";
import { type IpFamily, ipFamily } from "./ip.ts";
import {
  checkHost,
  type ResolvedAddress,
  type ResolveOptions,
} from "./resolve.ts";

/**
 * `resolve()` but its common case (lib/resolve.ts answers an unbracketed
 * address literal of the family asked itself): the checks, the lookup and
 * the trace.
 *
 * @param host As `resolve()` takes it.
 * @param options As `resolve()` takes them.
 * @returns At least one address.
 */
export async function resolveChecked(
  host: string,
  options: ResolveOptions,
): Promise<ResolvedAddress[]> {
  const name = checkHost(host);
  checkOptions("resolve()", options);
  checkFamily(options.family);
  const wanted = options.family ?? 0;
  checkFunction("trace", options.trace);
  const literal = ipFamily(name);
  if (literal === 6 && name.includes("%")) {
    // Deno's sockets take no zone (scope id): its own resolver fails on
    // `fe80::1%eth0` as on an unknown name, and so does this one.
    throw new ResolveError(host, "EAI_NONAME");
  }
  const trace = options.trace;
  const tracer = await tracerFor(trace);
  if (literal !== 0) {
    tracer?.skippedLookup({
      host: name,
      service: null,
      family: wanted,
      type: "SOCK_STREAM",
    }, "an address needs no lookup");
    if (wanted !== 0 && wanted !== literal) {
      throw new ResolveError(host, "EAI_ADDRFAMILY");
    }
    return [{ address: name, family: literal }];
  }
  const { lookup } = await import("node:dns/promises");
  let found: { address: string; family: number }[];
  try {
    found = await lookup(name, { all: true, family: wanted, verbatim: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "EAI_FAIL";
    if (code === "EPERM") {
      tracer?.lookup({ host: name, family: wanted }, {
        refused: true,
      });
      throw new Deno.errors.NotCapable(
        `Requires net access to "${name}"`,
        { cause: error },
      );
    }
    tracer?.lookup({ host: name, family: wanted }, {
      code,
      error,
    });
    throw new ResolveError(host, code, { cause: error });
  }
  tracer?.lookup({ host: name, family: wanted }, {
    addresses: found,
  });
  const addresses = found
    .filter((a) => a.family === 4 || a.family === 6)
    .map((a) => ({ address: a.address, family: a.family as IpFamily }));
  if (addresses.length === 0) throw new ResolveError(host, "ENODATA");
  return addresses;
}
