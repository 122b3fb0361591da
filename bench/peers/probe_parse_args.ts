// Probe: the cost of @std/cli's parseArgs alone, loaded and called once on
// the options the client's command line gives it (`--port=N`).
import { parseArgs } from "@std/cli/parse-args";

parseArgs(["--port=3490"], {
  boolean: ["ipv4", "ipv6", "help", "version", "verbose", "json", "trace"],
  string: ["port", "timeout", "max-bytes"],
  collect: [],
});
