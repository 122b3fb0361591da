// Private to cmd/: `--allow` and `--deny`, for server and listener only (the
// one-shot tools do not load the prefix parser).

import { type Cidr, parseCidr } from "../lib/access_list.ts";
import { UsageError } from "./_options.ts";

/** `--allow` and `--deny` prefixes, parsed once. */
export function parseAccess(
  values: { allow?: string[]; deny?: string[] },
): { allow: Cidr[]; deny: Cidr[] } {
  const parse = (text: string): Cidr => {
    try {
      return parseCidr(text);
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof RangeError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
  };
  return {
    allow: (values.allow ?? []).map(parse),
    deny: (values.deny ?? []).map(parse),
  };
}
