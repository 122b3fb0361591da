// Private to cmd/: the tools' version, for `--version`: `deno.json`'s, the
// one place it is written.

import config from "../deno.json" with { type: "json" };

/** The version of beejnet's tools. */
export const VERSION: string = config.version;
