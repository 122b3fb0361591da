// Helpers shared by the server's test files (tests/server_test.ts,
// tests/server_process_test.ts): its lines, a greeting fetched to the end,
// and the bad command lines.

import { type Capture, deadline, readToEnd } from "./_util.ts";

export const WAITING = "server: waiting for connections...";
export const GREETING = "Hello, world!";
export const decoder = new TextDecoder();

/** Connect, read until the server closes, and return every byte. */
export async function fetchGreeting(
  port: number,
  hostname = "127.0.0.1",
): Promise<Uint8Array> {
  const conn = await deadline(
    Deno.connect({ hostname, port }),
    `a connection to ${hostname}:${port}`,
  );
  return (await readToEnd(conn)).data;
}

/** How many lines of `capture` are exactly `line`. */
export function count(capture: Capture, line: string): number {
  return capture.lines.filter((l) => l === line).length;
}

/** Bad command lines, each with the one line it must print. */
export const BAD_INPUT: [string[], RegExp][] = [
  [["--bogus"], /^server: unknown option "--bogus"$/],
  [["-z"], /^server: unknown option "-z"$/],
  [["-p"], /^server: option "-p" needs a value$/],
  [["--port"], /^server: option "--port" needs a value$/],
  [["-p", "65536"], /^server: invalid port "65536": must be 0-65535$/],
  [["-p", "-1"], /^server: invalid port "-1"/],
  [["-p", "3490x"], /^server: invalid port "3490x"/],
  [["-p", ""], /^server: invalid port ""/],
  [["--max-connections", "0"], /^server: invalid max-connections "0"/],
  [["--max-connections", "many"], /^server: invalid max-connections "many"/],
  [["-4", "-6"], /^server: options "-4" and "-6" cannot be used together$/],
  [["extra"], /^server: unexpected argument "extra"$/],
  [["-b", ""], /^server: invalid bind address: empty$/],
  // -b is checked as client and talker check a host, one escaped line.
  [["-b", "a b"], /^server: invalid host "a b": not a host name$/],
  [
    ["-b", "1.2.3.4:5"],
    /^server: invalid host "1\.2\.3\.4:5": not a name or address; give the port with --port$/,
  ],
  [["-b", "::1%"], /^server: invalid host "::1%": not a name or address/],
  [["-b", "*"], /^server: invalid host "\*": not a host name$/],
  [["-b", "a\nb"], /^server: invalid host "a\\nb": not a host name$/],
  [
    ["-b", "\x1b[31mred"],
    /^server: invalid host "\\x1b\[31mred": not a host name$/,
  ],
  [["--json=yes"], /^server: option "--json" takes no value$/],
  [["--deny", "10.0.0.0/99"], /^server: /],
  [["--workers", "0"], /^server: invalid workers "0": must be 1-64$/],
  [["--workers", "65"], /^server: invalid workers "65": must be 1-64$/],
  // -m $'\xff\xfe' as Deno gives it (lossily decoded): refused, not rewritten.
  [
    ["-m", "\uFFFD\uFFFD"],
    /^server: option "--message" is not valid UTF-8 \(or contains U\+FFFD\): Deno cannot pass its bytes on from the command line; give UTF-8 text$/,
  ],
];
