/**
 * Interoperability with programs nobody here wrote: OpenBSD `nc`, `ncat` and
 * `socat` as clients of `server`, as servers for `client`, as receivers of
 * `talker` and as senders to `listener`, over IPv4 and (where `::1` exists)
 * IPv6; and `--json` output of every tool parsed line by line. Each test is
 * ignored, with the reason, when its peer program is missing.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import {
  bytes,
  deadline,
  freeTcpPort,
  freeUdpPort,
  NEEDS_IPV6,
  NEEDS_SPAWN,
  runTool,
  TestProcess,
} from "./_util.ts";
import {
  bracketed,
  everyByte,
  fetchAll,
  GREETING,
  needs,
  NEEDS_WRITE,
  noise,
  onePeer,
  startTool,
  udpPeer,
  unescape,
  unhex,
  waitUntil,
  writeAll,
} from "./_peers.ts";

const decoder = new TextDecoder();
const FAMILIES = [
  { family: 4, host: "127.0.0.1" },
  { family: 6, host: "::1" },
] as const;
const ignoreFamily = (family: 4 | 6): boolean =>
  family === 6 ? NEEDS_IPV6() : false;

/** The largest UDP payload over IPv4, which must arrive whole. */
const MAX_V4 = 65_507;

// ---------------------------------------------------------------------------
// Peers as clients of server

/** How each peer program reads a TCP server until end of stream. */
const READERS: Record<
  "nc" | "ncat" | "socat",
  (host: string, port: number, family: 4 | 6) => string[]
> = {
  // -N: shut down our side at stdin's EOF (stdin is /dev/null), then read to EOF.
  nc: (host, port) => ["-N", host, `${port}`],
  ncat: (host, port) => ["--recv-only", host, `${port}`],
  socat: (host, port, family) => [
    "-u",
    `TCP${family === 6 ? "6" : "4"}:${bracketed(host)}:${port}`,
    "-",
  ],
};

for (const { family, host } of FAMILIES) {
  for (const program of ["nc", "ncat", "socat"] as const) {
    Deno.test({
      name:
        `server greets ${program} over IPv${family} with exactly 13 bytes, then EOF`,
      ignore: needs(program) || ignoreFamily(family),
      async fn(): Promise<void> {
        const { proc: server, port } = await startTool("server", ["-p", "0"]);
        await using _server = server;
        await using peer = new TestProcess(
          program,
          READERS[program](host, port, family),
        );
        // The peer exits by itself only once it has seen end of stream.
        assertStrictEquals(await peer.exit(), 0, peer.stderr.text);
        assertEquals(peer.output, bytes(GREETING));
        await server.stdout.waitFor(/got connection/);
        server.kill("SIGTERM");
        assertStrictEquals(await server.exit(), 0);
        assertEquals(server.stdout.lines, [
          "server: waiting for connections...",
          `server: got connection from ${host}`,
        ]);
      },
    });
  }
}

// ---------------------------------------------------------------------------
// client against ncat and socat servers

/** A TCP server of a peer program that sends `payload` to one client. */
async function payloadServer(
  program: "ncat" | "socat",
  host: string,
  family: 4 | 6,
  payload: Uint8Array,
): Promise<{ peer: TestProcess; port: number }> {
  if (program === "ncat") {
    const port = freeTcpPort();
    const peer = new TestProcess(
      "ncat",
      ["-v", "-l", "--send-only", host, `${port}`],
      { stdin: payload },
    );
    await peer.stderr.waitFor(/^Ncat: Listening on /, "ncat listening");
    return { peer, port };
  }
  const peer = new TestProcess(
    "socat",
    [
      "-d",
      "-d",
      "-u",
      "STDIN",
      `TCP${family}-LISTEN:0,bind=${bracketed(host)}`,
    ],
    { stdin: payload },
  );
  const match = await peer.stderr.waitFor(
    / listening on AF=\d+ .*:(\d+)$/,
    "socat listening",
  );
  return { peer, port: Number(match[1]) };
}

const PAYLOADS = [
  { name: "text", data: bytes("Hi from a peer: tab\there, quote ' and é\n") },
  { name: "every byte value, NULs included", data: everyByte(4) },
  { name: "1 MiB", data: noise(1_048_576, 7) },
];

for (const { family, host } of FAMILIES) {
  for (const program of ["ncat", "socat"] as const) {
    for (const payload of PAYLOADS) {
      Deno.test({
        name:
          `client --raw receives ${payload.name} from ${program} over IPv${family}, byte for byte`,
        ignore: needs(program) || ignoreFamily(family),
        async fn(): Promise<void> {
          const { peer, port } = await payloadServer(
            program,
            host,
            family,
            payload.data,
          );
          await using _peer = peer;
          const { code, bytes: out, stderr } = await runTool("client", [
            "--raw",
            "-p",
            `${port}`,
            host,
          ]);
          assertStrictEquals(code, 0, stderr);
          assertStrictEquals(out.length, payload.data.length);
          assertEquals(out, payload.data);
          assertStrictEquals(
            stderr,
            `client: connecting to ${host}\nclient: received ${payload.data.length} bytes\n`,
          );
        },
      });
    }
    Deno.test({
      name:
        `client shows binary from ${program} over IPv${family} escaped, and it reads back whole`,
      ignore: needs(program) || ignoreFamily(family),
      async fn(): Promise<void> {
        const data = everyByte(2);
        const { peer, port } = await payloadServer(program, host, family, data);
        await using _peer = peer;
        const { code, stdout, stderr } = await runTool("client", [
          "-p",
          `${port}`,
          host,
        ]);
        assertStrictEquals(code, 0, stderr);
        assertStrictEquals(stderr, "");
        const lines = stdout.split("\n");
        assertStrictEquals(lines.length, 3, stdout);
        assertStrictEquals(lines[0], `client: connecting to ${host}`);
        assertStrictEquals(lines[2], "");
        const match = /^client: received '(.*)'$/.exec(lines[1]!);
        assert(match, lines[1]);
        assert(match[1]!.startsWith("\\x00\\x01"), "NUL shown as \\x00");
        assert(!stdout.includes("\0"), "a NUL reached stdout");
        assertEquals(unescape(match[1]!), data);
      },
    });
  }
}

// ---------------------------------------------------------------------------
// talker to socat and nc receivers

/** A UDP receiver of a peer program, ready for one datagram. */
interface Receiver {
  peer: TestProcess;
  port: number;
  /** The sender's address and port as the peer reports them, and the size. */
  sender(): Promise<Sender>;
}

/** A datagram's sender and size as a receiving peer reports them. */
interface Sender {
  address: string;
  port: number;
  size?: number;
}

async function udpReceiver(
  program: "socat" | "nc",
  host: string,
  family: 4 | 6,
): Promise<Receiver> {
  if (program === "socat") {
    const port = freeUdpPort(host);
    const peer = new TestProcess("socat", [
      "-d",
      "-d",
      "-b",
      "65536",
      "-u",
      `UDP${family}-RECV:${port},bind=${bracketed(host)}`,
      "-",
    ]);
    await peer.stderr.waitFor(/starting data transfer loop/, "socat ready");
    return {
      peer,
      port,
      async sender(): Promise<Sender> {
        const match = await peer.stderr.waitFor(
          /received packet with (\d+) bytes from AF=\d+ (.*):(\d+)$/,
          "socat to receive the datagram",
        );
        return {
          size: Number(match[1]),
          address: match[2]!,
          port: Number(match[3]),
        };
      },
    };
  }
  const peer = new TestProcess("nc", ["-v", "-n", "-u", "-l", host, "0"]);
  const match = await peer.stderr.waitFor(/^Bound on \S+ (\d+)$/, "nc bound");
  return {
    peer,
    port: Number(match[1]),
    async sender(): Promise<Sender> {
      const match = await peer.stderr.waitFor(
        /^Connection received on (\S+) (\d+)$/,
        "nc to receive the datagram",
      );
      return { address: match[1]!, port: Number(match[2]) };
    },
  };
}

/** socat's way of writing an address (IPv6 in full, bracketed). */
function socatAddress(host: string): string {
  return host === "::1" ? "[0000:0000:0000:0000:0000:0000:0000:0001]" : host;
}

const DATAGRAMS = [
  { name: "text", data: bytes("hello, listener") },
  { name: "every byte value", data: everyByte() },
  { name: `${MAX_V4} bytes`, data: noise(MAX_V4, 3), socatOnly: true },
];

for (const { family, host } of FAMILIES) {
  for (const program of ["socat", "nc"] as const) {
    for (const datagram of DATAGRAMS) {
      // OpenBSD nc reads a datagram into a 16,384-byte buffer: a larger one
      // would be cut by nc itself.
      if (datagram.socatOnly && program === "nc") continue;
      Deno.test({
        name:
          `talker sends ${datagram.name} to ${program} over IPv${family}: payload, length and sender agree`,
        ignore: needs(program) || ignoreFamily(family),
        async fn(): Promise<void> {
          const receiver = await udpReceiver(program, host, family);
          await using _peer = receiver.peer;
          const { code, stdout, stderr } = await runTool(
            "talker",
            ["--json", "-p", `${receiver.port}`, host, "-"],
            { stdin: datagram.data },
          );
          assertStrictEquals(code, 0, stderr);
          assertStrictEquals(stderr, "");
          const event = JSON.parse(stdout);
          assertEquals(event, {
            event: "sent",
            address: host,
            port: receiver.port,
            bytes: datagram.data.length,
          });
          const sender = await receiver.sender();
          assertStrictEquals(
            sender.address,
            program === "socat" ? socatAddress(host) : host,
          );
          assert(sender.port > 0 && sender.port !== receiver.port);
          if (sender.size !== undefined) {
            assertStrictEquals(sender.size, datagram.data.length);
          }
          await waitUntil(
            () => receiver.peer.output.length >= datagram.data.length,
            `${program} to write the datagram`,
          );
          receiver.peer.kill();
          await receiver.peer.exit();
          assertEquals(receiver.peer.output, datagram.data);
        },
      });
    }
  }
}

// ---------------------------------------------------------------------------
// socat and nc senders to listener

/**
 * Send `data` as one datagram from `host:sourcePort` to `host:port` with a
 * peer program. socat reads it from a file, so that one read holds it all;
 * nc from stdin (payloads up to PIPE_BUF, so one read holds it all too).
 */
async function peerSend(
  program: "socat" | "nc",
  host: string,
  family: 4 | 6,
  port: number,
  sourcePort: number,
  data: Uint8Array,
): Promise<void> {
  if (program === "nc") {
    assert(data.length <= 4096, "nc payloads must fit one pipe write");
    await using peer = new TestProcess(
      "nc",
      ["-u", "-q", "0", "-s", host, "-p", `${sourcePort}`, host, `${port}`],
      { stdin: data },
    );
    assertStrictEquals(await peer.exit(), 0, peer.stderr.text);
    return;
  }
  const file = await Deno.makeTempFile({ prefix: "beejnet-datagram-" });
  try {
    await Deno.writeFile(file, data);
    await using peer = new TestProcess("socat", [
      "-u",
      "-b",
      "65536",
      `OPEN:${file},rdonly`,
      `UDP${family}-SENDTO:${bracketed(host)}:${port},sourceport=${sourcePort}`,
    ]);
    assertStrictEquals(await peer.exit(), 0, peer.stderr.text);
  } finally {
    await Deno.remove(file);
  }
}

for (const { family, host } of FAMILIES) {
  for (const program of ["socat", "nc"] as const) {
    for (const datagram of DATAGRAMS) {
      if (datagram.socatOnly && program === "nc") continue;
      Deno.test({
        name:
          `listener receives ${datagram.name} from ${program} over IPv${family}: payload, length and sender agree`,
        ignore: needs(program) || ignoreFamily(family) ||
          (program === "socat" && NEEDS_WRITE()),
        async fn(): Promise<void> {
          const { proc: listener, port } = await startTool("listener", [
            "--json",
            "-p",
            "0",
          ]);
          await using _listener = listener;
          await listener.stdout.waitFor(/"listening"/);
          const source = freeUdpPort(host);
          await peerSend(program, host, family, port, source, datagram.data);
          assertStrictEquals(await listener.exit(), 0, listener.stderr.text);
          const events = listener.stdout.lines.map((line) => JSON.parse(line));
          assertStrictEquals(events.length, 2, listener.stdout.text);
          const { text, base64, ...rest } = events[1];
          assertEquals(rest, {
            event: "datagram",
            address: host,
            port: source,
            bytes: datagram.data.length,
          });
          const received = typeof text === "string"
            ? bytes(text)
            : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          assertEquals(received, datagram.data);
        },
      });
    }
    Deno.test({
      name:
        `listener prints Beej's lines for a datagram from ${program} over IPv${family}`,
      ignore: needs(program) || ignoreFamily(family) ||
        (program === "socat" && NEEDS_WRITE()),
      async fn(): Promise<void> {
        const { proc: listener, port } = await startTool("listener", [
          "-p",
          "0",
        ]);
        await using _listener = listener;
        const data = bytes(`hi from ${program}\n`);
        await peerSend(
          program,
          host,
          family,
          port,
          freeUdpPort(host),
          data,
        );
        assertStrictEquals(await listener.exit(), 0);
        assertEquals(listener.stdout.lines, [
          "listener: waiting to recvfrom...",
          `listener: got packet from ${host}`,
          `listener: packet is ${data.length} bytes long`,
          `listener: packet contains "hi from ${program}\\n"`,
        ]);
        assertEquals(listener.stderr.lines, [
          `listener: listening on [::]:${port}`,
        ]);
      },
    });
  }
}

Deno.test({
  name:
    `listener prints a ${MAX_V4}-byte datagram from socat whole, escaped and as a hex dump`,
  ignore: needs("socat") || NEEDS_WRITE(),
  async fn(): Promise<void> {
    const data = everyByte(Math.ceil(MAX_V4 / 256)).subarray(0, MAX_V4);
    for (const hex of [false, true]) {
      const { proc: listener, port } = await startTool("listener", [
        ...(hex ? ["--hex"] : []),
        "-p",
        "0",
      ]);
      await using _listener = listener;
      await peerSend("socat", "127.0.0.1", 4, port, freeUdpPort(), data);
      assertStrictEquals(await listener.exit(), 0);
      const lines = listener.stdout.lines;
      assertStrictEquals(lines[1], "listener: got packet from 127.0.0.1");
      assertStrictEquals(lines[2], `listener: packet is ${MAX_V4} bytes long`);
      if (hex) {
        assertStrictEquals(lines.length, 3 + Math.ceil(MAX_V4 / 16));
        assertEquals(unhex(lines.slice(3)), data);
      } else {
        assertStrictEquals(lines.length, 4);
        const match = /^listener: packet contains "(.*)"$/.exec(lines[3]!);
        assert(match);
        assertEquals(unescape(match[1]!), data);
      }
    }
  },
});

// ---------------------------------------------------------------------------
// --json of every tool

/** Parse every line of `text` as one JSON object; there must be no other line. */
function jsonLines(text: string): Record<string, unknown>[] {
  assert(text.endsWith("\n"), "JSON output ends with a newline");
  return text.slice(0, -1).split("\n").map((line) => {
    const value = JSON.parse(line);
    assertStrictEquals(typeof value, "object");
    assert(value !== null && !Array.isArray(value), line);
    assertStrictEquals(typeof value.event, "string", line);
    return value;
  });
}

Deno.test({
  name: "server --json: one parseable object per line for each event",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { proc: server, port } = await startTool("server", [
      "--json",
      "-p",
      "0",
    ]);
    await using _server = server;
    const hosts = ["127.0.0.1", ...(NEEDS_IPV6() ? [] : ["::1"])];
    for (const host of hosts) {
      assertEquals((await fetchAll(port, host)).data, bytes(GREETING));
    }
    await waitUntil(
      () => server.stdout.lines.length === 1 + hosts.length,
      "a connection event per client",
    );
    server.kill("SIGINT");
    assertStrictEquals(await server.exit(), 0);
    const events = jsonLines(server.stdout.text);
    assertEquals(events.map((e) => e.event), [
      "listening",
      ...hosts.map(() => "connection"),
    ]);
    assertEquals(events.slice(1).map((e) => e.address), hosts);
  },
});

Deno.test({
  name: "client --json: one parseable object per line, text, binary and errors",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { proc: server, port } = await startTool("server", ["-p", "0"]);
    await using _server = server;
    const ok = await runTool("client", [
      "--json",
      "-p",
      `${port}`,
      "127.0.0.1",
    ]);
    assertStrictEquals(ok.code, 0);
    assertEquals(jsonLines(ok.stdout), [
      { event: "connection", address: "127.0.0.1", port },
      { event: "received", bytes: 13, text: GREETING, truncated: false },
    ]);

    const binary = everyByte();
    const peer = onePeer((conn) => writeAll(conn, binary));
    const bin = await runTool("client", [
      "--json",
      "-p",
      `${peer.port}`,
      "127.0.0.1",
    ]);
    await peer.done;
    assertStrictEquals(bin.code, 0);
    const [, received] = jsonLines(bin.stdout);
    assertStrictEquals(received!.bytes, 256);
    assertEquals(
      Uint8Array.from(atob(received!.base64 as string), (c) => c.charCodeAt(0)),
      binary,
    );

    const refused = await runTool("client", [
      "--json",
      "-p",
      `${freeTcpPort()}`,
      "127.0.0.1",
    ]);
    assertStrictEquals(refused.code, 2);
    assertEquals(jsonLines(refused.stdout), [
      { event: "error", context: "connect", message: "Connection refused" },
    ]);
  },
});

Deno.test({
  name: "listener --json: one parseable object per line for text and binary",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { proc: listener, port } = await startTool("listener", [
      "--json",
      "-c",
      "2",
      "-p",
      "0",
    ]);
    await using _listener = listener;
    await listener.stdout.waitFor(/"listening"/);
    using socket = udpPeer();
    const from = (socket.addr as Deno.NetAddr).port;
    const target = { transport: "udp" as const, hostname: "127.0.0.1", port };
    await socket.send(bytes("line one\nline two \u202e"), target);
    await socket.send(Uint8Array.of(0, 0xff, 0x1b), target);
    assertStrictEquals(await listener.exit(), 0);
    assertEquals(jsonLines(listener.stdout.text), [
      { event: "listening", address: "::", port },
      {
        event: "datagram",
        address: "127.0.0.1",
        port: from,
        bytes: 21,
        text: "line one\nline two \u202e",
      },
      {
        event: "datagram",
        address: "127.0.0.1",
        port: from,
        bytes: 3,
        base64: "AP8b",
      },
    ]);
  },
});

Deno.test({
  name:
    "talker --json: one parseable object per line for sent, reply and error",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using socket = udpPeer();
    const port = (socket.addr as Deno.NetAddr).port;
    const echo = (async () => {
      const [data, from] = await deadline(socket.receive(), "the datagram");
      await socket.send(bytes(`echo: ${decoder.decode(data)}`), from);
    })();
    const sent = await runTool("talker", [
      "--json",
      "-w",
      "5",
      "-p",
      `${port}`,
      "127.0.0.1",
      "ping",
    ]);
    await echo;
    assertStrictEquals(sent.code, 0, sent.stderr);
    assertEquals(jsonLines(sent.stdout), [
      { event: "sent", address: "127.0.0.1", port, bytes: 4 },
      {
        event: "datagram",
        address: "127.0.0.1",
        port,
        bytes: 10,
        text: "echo: ping",
      },
    ]);

    const tooBig = await runTool("talker", [
      "--json",
      "127.0.0.1",
      "x".repeat(MAX_V4 + 1),
    ]);
    assertStrictEquals(tooBig.code, 1);
    const [error, ...rest] = jsonLines(tooBig.stdout);
    assertStrictEquals(rest.length, 0);
    assertStrictEquals(error!.event, "error");
    assertMatch(String(error!.message), /65508 bytes/);
  },
});
