// Private to cmd/: the tools' own defaults, Beej's numbers, named once. The
// library takes each of them from its caller.

/** The TCP port of `server` and `client` (`#define PORT "3490"`). */
export const DEFAULT_TCP_PORT = 3490;

/** The UDP port of `listener` and `talker` (`#define MYPORT "4950"`). */
export const DEFAULT_UDP_PORT = 4950;

/** How much `client` reads by default before it stops (`--max-bytes`): 1 MiB. */
export const DEFAULT_MAX_BYTES = 1_048_576;
