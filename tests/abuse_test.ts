/**
 * Abuse: hostile bytes from the network never reach the terminal as
 * controls, and their escaped form reads back to exactly what was sent; bad
 * command lines get one line and exit 1, never a stack trace; and the tools
 * need the network permission and nothing else.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertNotStrictEquals,
  assertStrictEquals,
} from "@std/assert";
import { concat } from "@std/bytes/concat";
import { main as clientMain } from "../cmd/client.ts";
import { main as listenerMain } from "../cmd/listener.ts";
import { main as serverMain } from "../cmd/server.ts";
import { main as talkerMain } from "../cmd/talker.ts";
import { parseClient } from "../cmd/_client.ts";
import { parseListener } from "../cmd/_listener.ts";
import { parseServer } from "../cmd/_server.ts";
import { parseTalker } from "../cmd/_talker.ts";
import type { MainOptions } from "../cmd/_command.ts";
import {
  bytes,
  deadline,
  freeTcpPort,
  NEEDS_SPAWN,
  refusedLine,
  runInProcess,
  runTool,
} from "./_util.ts";
import {
  assertNoStack,
  assertTerminalSafe,
  everyByte,
  GREETING,
  onePeer,
  startTool,
  udpPeer,
  unescape,
  unhex,
  writeAll,
} from "./_peers.ts";

// ---------------------------------------------------------------------------
// Terminal safety

const C1 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i))
  .join("");

/** Payloads a hostile peer might send, each as bytes. */
const HOSTILE: { name: string; data: Uint8Array }[] = [
  { name: "every byte 0x00-0xff", data: everyByte() },
  {
    name: "ANSI CSI sequences",
    data: bytes("\x1b[2J\x1b[H\x1b[31mred\x1b[0m\x1b[6n\x1b[?1049h"),
  },
  {
    name: "OSC title and hyperlink",
    data: bytes(
      "\x1b]0;pwned\x07\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    ),
  },
  { name: "C1 controls U+0080-U+009F as UTF-8", data: bytes(C1) },
  {
    name: "8-bit C1 bytes (CSI, OSC, ST)",
    data: Uint8Array.of(0x9b, 0x33, 0x31, 0x6d, 0x9d, 0x30, 0x3b, 0x78, 0x9c),
  },
  {
    name: "invalid UTF-8",
    data: Uint8Array.of(
      0xff,
      0xfe,
      0xc0,
      0xaf,
      0x80,
      0xe2,
      0x82,
      0xed,
      0xa0,
      0x80,
      0xf4,
      0x90,
      0x80,
      0x80,
      0x41,
      0xe2,
    ),
  },
  {
    name: "bidi overrides and isolates (U+202E)",
    data: bytes(
      "invoice\u202efdp.exe \u202a\u202b\u202c\u202d \u2066x\u2069 \u200f",
    ),
  },
  {
    name: "backslashes that look like escapes",
    data: bytes("\\x41 \\\\ \\n \\u{202e} \\"),
  },
  {
    name: "DEL, CR and a fake prompt",
    data: bytes("ok\x7f\x7f\r$ rm -rf ~\r\n"),
  },
];

/** The text between the quotes of a `... 'TEXT'` or `... "TEXT"` line. */
function quoted(line: string, prefix: string, quote: string): string {
  assert(
    line.startsWith(prefix + quote) && line.endsWith(quote),
    `expected ${prefix}${quote}...${quote}, got ${JSON.stringify(line)}`,
  );
  return line.slice(prefix.length + 1, -1);
}

Deno.test({
  name:
    "client shows hostile greetings escaped: nothing reaches the terminal raw, and it reads back exactly",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    await Promise.all(HOSTILE.map(async ({ name, data }) => {
      const peer = onePeer((conn) => writeAll(conn, data));
      const { code, bytes: out, stdout, stderr } = await runTool("client", [
        "-p",
        `${peer.port}`,
        "127.0.0.1",
      ]);
      await peer.done;
      assertStrictEquals(code, 0, `${name}: ${stderr}`);
      assertStrictEquals(stderr, "", name);
      assertTerminalSafe(out, `client stdout for ${name}`);
      const lines = stdout.split("\n");
      assertStrictEquals(lines.length, 3, `${name}: ${stdout}`);
      const shown = quoted(lines[1]!, "client: received ", "'");
      assertEquals(unescape(shown), data, name);
    }));
  },
});

Deno.test({
  name: "client shows the text \\x41 as \\\\x41: a backslash is escaped too",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const peer = onePeer((conn) => writeAll(conn, bytes("\\x41\\")));
    const { code, stdout } = await runTool("client", [
      "-p",
      `${peer.port}`,
      "127.0.0.1",
    ]);
    await peer.done;
    assertStrictEquals(code, 0);
    assertStrictEquals(
      stdout,
      "client: connecting to 127.0.0.1\nclient: received '\\\\x41\\\\'\n",
    );
  },
});

/** Send each hostile payload as a datagram to a listener run with `args`. */
async function listenerOutput(args: string[]): Promise<{
  stdout: Uint8Array;
  lines: string[];
}> {
  const { proc: listener, port } = await startTool("listener", [
    ...args,
    "-c",
    `${HOSTILE.length}`,
    "-p",
    "0",
  ]);
  await using _listener = listener;
  using socket = udpPeer();
  const target = { transport: "udp" as const, hostname: "127.0.0.1", port };
  for (const { data } of HOSTILE) await socket.send(data, target);
  assertStrictEquals(await listener.exit(), 0, listener.stderr.text);
  assertTerminalSafe(
    bytes(listener.stderr.text),
    `listener ${args.join(" ")} stderr`,
  );
  return {
    stdout: concat(listener.stdout.bytes),
    lines: listener.stdout.lines,
  };
}

Deno.test({
  name:
    "listener shows hostile datagrams escaped: nothing reaches the terminal raw, and each reads back exactly",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { stdout, lines } = await listenerOutput([]);
    assertTerminalSafe(stdout, "listener stdout");
    assertStrictEquals(lines.length, 1 + 3 * HOSTILE.length);
    for (const [i, { name, data }] of HOSTILE.entries()) {
      const at = 1 + 3 * i;
      assertStrictEquals(
        lines[at],
        "listener: got packet from 127.0.0.1",
        name,
      );
      assertStrictEquals(
        lines[at + 1],
        `listener: packet is ${data.length} bytes long`,
        name,
      );
      const shown = quoted(lines[at + 2]!, "listener: packet contains ", '"');
      assertEquals(unescape(shown), data, name);
    }
  },
});

Deno.test({
  name:
    "listener --hex shows hostile datagrams as a dump: nothing reaches the terminal raw, and each reads back exactly",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { stdout, lines } = await listenerOutput(["--hex"]);
    assertTerminalSafe(stdout, "listener --hex stdout");
    let at = 1;
    for (const { name, data } of HOSTILE) {
      assertStrictEquals(
        lines[at],
        "listener: got packet from 127.0.0.1",
        name,
      );
      assertStrictEquals(
        lines[at + 1],
        `listener: packet is ${data.length} bytes long`,
        name,
      );
      const rows = Math.ceil(data.length / 16);
      assertEquals(unhex(lines.slice(at + 2, at + 2 + rows)), data, name);
      at += 2 + rows;
    }
    assertStrictEquals(at, lines.length);
  },
});

Deno.test({
  name:
    "listener --json carries hostile datagrams inert: terminal-safe lines that decode back exactly",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { stdout, lines } = await listenerOutput(["--json"]);
    assertTerminalSafe(stdout, "listener --json stdout");
    const events = lines.slice(1).map((line) => JSON.parse(line));
    assertStrictEquals(events.length, HOSTILE.length);
    for (const [i, { name, data }] of HOSTILE.entries()) {
      const event = events[i];
      const got = "text" in event
        ? bytes(event.text)
        : Uint8Array.from(atob(event.base64), (c) => c.charCodeAt(0));
      assertEquals(got, data, name);
    }
  },
});

Deno.test({
  name:
    "talker -w shows a hostile reply escaped: nothing reaches the terminal raw",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const reply = concat(HOSTILE.map((h) => h.data));
    const echo = (async () => {
      const [, from] = await deadline(socket.receive(), "the datagram");
      await socket.send(reply, from);
    })();
    const { code, bytes: out, stdout } = await runTool("talker", [
      "-w",
      "5",
      "-p",
      `${port}`,
      "127.0.0.1",
      "ping",
    ]);
    await echo;
    assertStrictEquals(code, 0);
    assertTerminalSafe(out, "talker stdout");
    const lines = stdout.split("\n");
    assertStrictEquals(
      lines[2],
      `talker: packet is ${reply.length} bytes long`,
    );
    const shown = quoted(lines[3]!, "talker: packet contains ", '"');
    assertEquals(unescape(shown), reply);
  },
});

// ---------------------------------------------------------------------------
// Bad input

type Main = (args: string[], io: MainOptions) => Promise<number>;
const MAINS: Record<string, Main> = {
  server: serverMain,
  client: clientMain,
  listener: listenerMain,
  talker: talkerMain,
};
const PARSES: Record<string, (args: readonly string[]) => unknown> = {
  server: parseServer,
  client: parseClient,
  listener: parseListener,
  talker: parseTalker,
};

const LONG_HOST = "a".repeat(300);

/** A bad command line, and what its one stderr line must match. */
type BadInput = [tool: string, args: string[], expected: RegExp];

const BAD_INPUT: BadInput[] = [
  // server
  ["server", ["--bogus"], /^server: unknown option "--bogus"$/],
  ["server", ["-z"], /^server: unknown option "-z"$/],
  ["server", ["-p"], /^server: option "-p" needs a value$/],
  ["server", ["--port"], /^server: option "--port" needs a value$/],
  ["server", ["-p", "-1"], /^server: invalid port "-1"/],
  [
    "server",
    ["-p", "65536"],
    /^server: invalid port "65536": must be 0-65535$/,
  ],
  ["server", ["-p", "3490x"], /^server: invalid port "3490x"/],
  ["server", ["-p", "0x10"], /^server: invalid port "0x10"/],
  ["server", ["--port="], /^server: invalid port ""/],
  ["server", ["-b", ""], /^server: invalid bind address: empty$/],
  ["server", ["-b", "\x1b[31mred"], /^server: invalid host "\\x1b\[31mred"/],
  ["server", ["-4", "-6"], /^server: options "-4" and "-6" cannot be used/],
  [
    "server",
    ["--max-connections", "x"],
    /^server: invalid max-connections "x"/,
  ],
  [
    "server",
    ["--max-connections", "0"],
    /^server: invalid max-connections "0"/,
  ],
  [
    "server",
    ["--allow", "10.0.0.0/33"],
    /^server: invalid prefix "10\.0\.0\.0\/33"/,
  ],
  ["server", ["--deny", "nonsense"], /^server: invalid prefix "nonsense"/],
  ["server", ["--allow", "::1/129"], /^server: invalid prefix "::1\/129"/],
  ["server", ["extra"], /^server: unexpected argument "extra"$/],
  ["server", ["--quiet=yes"], /^server: option "--quiet" takes no value$/],
  ["server", ["-m"], /^server: option "-m" needs a value$/],
  ["server", ["--workers", "0"], /^server: invalid workers "0"/],
  ["server", ["--json", "-p", "x"], /^server: invalid port "x"/],
  // client
  ["client", [], /^usage: client hostname$/],
  ["client", ["a", "b"], /^usage: client hostname$/],
  ["client", ["--bogus", "localhost"], /^client: unknown option "--bogus"$/],
  ["client", ["-p", "99999", "localhost"], /^client: invalid port "99999"/],
  ["client", ["-p", "0x10", "localhost"], /^client: invalid port "0x10"/],
  ["client", [""], /^client: invalid host: the host is empty$/],
  [
    "client",
    [LONG_HOST],
    /^client: invalid host "a+\.*": longer than 253 characters$/,
  ],
  ["client", ["localhost:99999"], /^client: invalid host "localhost:99999"/],
  ["client", ["-w", "0", "localhost"], /^client: invalid timeout "0"/],
  ["client", ["-w", "abc", "localhost"], /^client: invalid timeout "abc"/],
  ["client", ["-w", "-1", "localhost"], /^client: invalid timeout "-1"/],
  [
    "client",
    ["--max-bytes", "0", "localhost"],
    /^client: invalid max-bytes "0"/,
  ],
  [
    "client",
    ["--max-bytes", "1k", "localhost"],
    /^client: invalid max-bytes "1k"/,
  ],
  [
    "client",
    ["--raw", "--json", "localhost"],
    /^client: options "--raw" and "--json"/,
  ],
  ["client", ["-4", "-6", "localhost"], /^client: options "-4" and "-6"/],
  ["client", ["--timeout"], /^client: option "--timeout" needs a value$/],
  ["client", ["\x1b[31mred\u202e"], /^(getaddrinfo|client): /],
  // listener
  ["listener", ["--count", "0"], /^listener: invalid count "0"/],
  [
    "listener",
    ["--keep", "--count", "3"],
    /^listener: options "--keep" and "--count"/,
  ],
  ["listener", ["-c", "abc"], /^listener: invalid count "abc"/],
  ["listener", ["-c"], /^listener: option "-c" needs a value$/],
  [
    "listener",
    ["--allow", "10.0.0.0/33"],
    /^listener: invalid prefix "10\.0\.0\.0\/33"/,
  ],
  ["listener", ["--deny", "nonsense"], /^listener: invalid prefix "nonsense"/],
  ["listener", ["extra"], /^listener: unexpected argument "extra"$/],
  ["listener", ["-p", "65536"], /^listener: invalid port "65536"/],
  ["listener", ["-p", "-1"], /^listener: invalid port "-1"/],
  ["listener", ["-b", ""], /^listener: invalid bind address: empty$/],
  ["listener", ["-b", "a b"], /^listener: invalid host "a b": not a host/],
  ["listener", ["-4", "-6"], /^listener: options "-4" and "-6"/],
  ["listener", ["--hex=1"], /^listener: option "--hex" takes no value$/],
  ["listener", ["--json", "--count", "0"], /^listener: invalid count "0"/],
  // talker
  ["talker", [], /^usage: talker hostname message$/],
  ["talker", ["127.0.0.1"], /^usage: talker hostname message$/],
  ["talker", ["127.0.0.1", "a", "b"], /^usage: talker hostname message$/],
  ["talker", ["", "hi"], /^talker: invalid host: the host is empty$/],
  [
    "talker",
    [LONG_HOST, "hi"],
    /^talker: invalid host "a+\.*": longer than 253/,
  ],
  [
    "talker",
    ["localhost:99999", "hi"],
    /^talker: invalid host "localhost:99999"/,
  ],
  [
    "talker",
    ["-p", "3490x", "127.0.0.1", "hi"],
    /^talker: invalid port "3490x"/,
  ],
  ["talker", ["-w", "0", "127.0.0.1", "hi"], /^talker: invalid wait "0"/],
  ["talker", ["-w", "abc", "127.0.0.1", "hi"], /^talker: invalid wait "abc"/],
  [
    "talker",
    ["--bogus", "127.0.0.1", "hi"],
    /^talker: unknown option "--bogus"$/,
  ],
  ["talker", ["-4", "-6", "127.0.0.1", "hi"], /^talker: options "-4" and "-6"/],
];

/**
 * Bad input that only the run can tell (the resolver, the size of a
 * datagram for the family a name resolves to): the same one line, exit 1.
 */
const BAD_AT_RUN: BadInput[] = [
  [
    "talker",
    ["127.0.0.1", "x".repeat(65_508)],
    /^talker: message is 65508 bytes: at most 65507 fit in one IPv4 datagram$/,
  ],
  [
    "talker",
    ["-6", "::1", "x".repeat(65_528)],
    /^talker: message is 65528 bytes: at most 65527 fit in one IPv6 datagram$/,
  ],
  ["talker", ["nonexistent.invalid", "hi"], /^getaddrinfo: [A-Z]/],
];

/** Assert the one-line failure of a bad command line. */
function checkBadInput(
  [tool, args, expected]: BadInput,
  code: number,
  stdout: string,
  stderr: string,
): void {
  const what = `${tool} ${JSON.stringify(args).slice(0, 120)}`;
  assertStrictEquals(code, 1, `${what}: exit code (stderr: ${stderr})`);
  if (args.includes("--json")) {
    // Under --json the failure is also an `error` event on stdout.
    for (const line of stdout.split("\n").slice(0, -1)) {
      assertStrictEquals(JSON.parse(line).event, "error", `${what}: ${line}`);
    }
  } else {
    assertStrictEquals(stdout, "", `${what}: stdout`);
  }
  assertNoStack(stderr, what);
  assert(stderr.endsWith("\n"), `${what}: stderr ends with a newline`);
  const lines = stderr.slice(0, -1).split("\n");
  assertStrictEquals(lines.length, 1, `${what}: one line, got ${stderr}`);
  checkLine([tool, args, expected], lines[0]!);
}

/** Assert the one line a bad command line prints. */
function checkLine([tool, args, expected]: BadInput, line: string): void {
  const what = `${tool} ${JSON.stringify(args).slice(0, 120)}`;
  assertTerminalSafe(bytes(line + "\n"), `${what}: stderr`);
  assertMatch(
    line,
    /^(server|client|listener|talker|usage|getaddrinfo): /,
  );
  if (line.startsWith(`${tool}: `)) {
    assert(line.length > tool.length + 8, `${what}: names the problem`);
  }
  assertMatch(line, expected, what);
}

Deno.test(`bad input: ${BAD_INPUT.length} command lines are refused by parse<Tool>(), each with one line naming the problem`, () => {
  assert(BAD_INPUT.length >= 40);
  for (const input of BAD_INPUT) {
    const [tool, args] = input;
    checkLine(input, refusedLine(tool, PARSES[tool]!, args));
  }
});

Deno.test(`bad input at run time: ${BAD_AT_RUN.length} command lines each give one line naming the problem, exit 1`, async () => {
  await Promise.all(BAD_AT_RUN.map(async (input) => {
    const [tool, args] = input;
    // parse<Tool>() accepts them: only the run can tell.
    PARSES[tool]!(args);
    const run = runInProcess(MAINS[tool]!, args);
    try {
      const code = await deadline(run.code, `${tool} ${args.join(" ")}`);
      checkBadInput(input, code, run.stdout.text, run.stderr.text);
    } finally {
      run.controller.abort();
      await run.code.catch(() => {});
    }
  }));
});

Deno.test({
  name:
    "bad input as processes: one line, exit code 1, no Uncaught or stack trace",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    // Two per tool, the ones that reach the resolver or the size check,
    // and -b's hosts (once an uncaught TypeError with its stack).
    const picked = ["server", "client", "listener", "talker"].flatMap((tool) =>
      BAD_INPUT.filter(([t]) => t === tool).filter((_, i) => i % 7 === 0)
    ).concat(
      BAD_INPUT.filter(([, args]) =>
        args.some((a) => a === "localhost:99999" || a.length > 1000) ||
        (args[0] === "-b" && args[1] !== "")
      ),
      BAD_AT_RUN,
    );
    assert(picked.length >= 10);
    await Promise.all(picked.map(async (input) => {
      const [tool, args] = input;
      const { code, stdout, stderr } = await runTool(tool, args);
      checkBadInput(input, code, stdout, stderr);
    }));
  },
});

// ---------------------------------------------------------------------------
// Least privilege

Deno.test({
  name:
    "every tool works with --allow-net (and --unstable-net) and no other permission",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const only = ["--allow-net"];
    const { proc: server, port } = await startTool("server", ["-p", "0"], {
      permissions: only,
    });
    await using _server = server;
    for (const host of ["127.0.0.1", "localhost"]) {
      const client = await runTool("client", ["-p", `${port}`, host], {
        permissions: only,
      });
      assertStrictEquals(client.code, 0, client.stderr);
      assertStrictEquals(client.stderr, "");
      assertMatch(client.stdout, new RegExp(`received '${GREETING}'\\n$`));
    }
    server.kill("SIGTERM");
    assertStrictEquals(await server.exit(), 0);
    assertNotMatch(server.stderr.text, /permission|Requires/i);

    for (const host of ["127.0.0.1", "localhost"]) {
      const { proc: listener, port } = await startTool(
        "listener",
        ["-p", "0"],
        {
          permissions: only,
        },
      );
      await using _listener = listener;
      const talker = await runTool("talker", ["-p", `${port}`, host, "hi"], {
        permissions: only,
      });
      assertStrictEquals(talker.code, 0, talker.stderr);
      assertStrictEquals(talker.stdout, `talker: sent 2 bytes to ${host}\n`);
      assertStrictEquals(talker.stderr, "");
      assertStrictEquals(await listener.exit(), 0);
      assertStrictEquals(
        listener.stdout.lines.at(-1),
        'listener: packet contains "hi"',
      );
    }
  },
});

Deno.test({
  name:
    "every tool denied the network says so in one line naming --allow-net, non-zero, no stack",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const denied = ["--allow-net=10.9.9.9"];
    const port = `${freeTcpPort()}`;
    const cases: [string, string[]][] = [
      ["server", ["-p", "0"]],
      ["server", ["-b", "127.0.0.1", "-p", "0"]],
      ["listener", ["-p", "0"]],
      ["listener", ["-b", "127.0.0.1", "-p", "0"]],
      ["client", ["-p", port, "127.0.0.1"]],
      ["client", ["-p", port, "localhost"]],
      ["talker", ["-p", port, "127.0.0.1", "hi"]],
      ["talker", ["-p", port, "localhost", "hi"]],
    ];
    await Promise.all(cases.map(async ([tool, args]) => {
      const what = `${tool} ${args.join(" ")}`;
      const { code, stdout, stderr } = await runTool(tool, args, {
        permissions: denied,
      });
      assertNotStrictEquals(code, 0, what);
      assertStrictEquals(stdout, "", what);
      assertNoStack(stderr, what);
      const lines = stderr.slice(0, -1).split("\n");
      assertStrictEquals(lines.length, 1, `${what}: ${stderr}`);
      assertMatch(lines[0]!, new RegExp(`^${tool}: .*--allow-net`), what);
    }));
  },
});
