// `--trace` on each tool: the lines pinned end to end (real processes, real
// sockets), and each tool's trace held against strace -f (tests/_strace.ts):
// every system call the trace names happened, with the same address, port,
// byte count and result, in the same order, and no call on the tool's own
// sockets is left out.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { TRACE_NOTES as NOTE } from "../lib/_trace_calls.ts";
import type { TraceEvent } from "../lib/trace.ts";
import {
  checkTrace,
  STRACE_MISSING,
  type Straced,
  straced,
  stracedTool,
  traceEvents,
} from "./_strace.ts";
import {
  CAN_SPAWN,
  deadline,
  freeTcpPort,
  HAS_IPV6,
  ignoreUnless,
  listeningPort,
  readToEnd,
  TestProcess,
  toolCommand,
  udpSocket,
  waitUntil,
} from "./_util.ts";

const NEEDS_SPAWN_V6 = (): boolean =>
  ignoreUnless(
    CAN_SPAWN && HAS_IPV6,
    "trace tests of the dual-stack tools need ::1 and --allow-run --allow-read --allow-env",
  );
const NEEDS_SPAWN = (): boolean =>
  ignoreUnless(
    CAN_SPAWN,
    "trace tests spawn the tools: they need --allow-run --allow-read --allow-env",
  );
const NEEDS_STRACE = (): boolean =>
  ignoreUnless(
    STRACE_MISSING === undefined && HAS_IPV6,
    STRACE_MISSING ?? "strace cross-checks of the dual-stack tools need ::1",
  );

const encoder = new TextEncoder();

/** A TCP server for the client: sends `Hello, world!` to one peer, closes. */
function greeter(): { port: number; served: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    try {
      const conn = await deadline(listener.accept(), "the client");
      await conn.write(encoder.encode("Hello, world!"));
      conn.close();
    } finally {
      listener.close();
    }
  })();
  return { port: listener.addr.port, served };
}

/** A UDP socket on loopback that `using` closes. */
function udp(hostname?: string): Deno.DatagramConn & Disposable {
  const socket = udpSocket(hostname);
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** A port nobody listens on: connecting is refused. */
function closedPort(): number {
  return freeTcpPort();
}

/** The trace events of a `--json --trace` run, waited for. */
async function waitForEvent(
  run: Straced,
  pattern: RegExp,
  what: string,
): Promise<RegExpMatchArray> {
  return await run.process.stdout.waitFor(pattern, what);
}

async function strace(
  run: Straced,
  expectCode = 0,
): Promise<{ events: TraceEvent[]; sockets: number }> {
  const { code, calls } = await run.finished();
  assertEquals(code, expectCode, run.process.stderr.text);
  const events = traceEvents(run.process.stdout.lines);
  assert(events.length > 0, "no trace events");
  const { sockets } = checkTrace(events, calls);
  return { events, sockets };
}

// ---------------------------------------------------------------- server

Deno.test({
  name: "server --trace shows the listen, each connection and the stop",
  ignore: NEEDS_SPAWN_V6(),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", ["--trace", "-p", "0"]);
    const port = await listeningPort(server.stderr);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const peer = `[::ffff:127.0.0.1]:${(conn.localAddr as Deno.NetAddr).port}`;
    await readToEnd(conn);
    await server.stderr.waitFor(/trace: close\(new_fd/, "the close");
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    const t = "server: trace:";
    assertEquals(server.stderr.lines, [
      `${t} getaddrinfo(NULL, "0", {AF_UNSPEC, SOCK_STREAM, AI_PASSIVE}) not called: nothing to look up: the wildcard address is bound as it is`,
      `${t} socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = sockfd [Deno.listen]`,
      `${t} setsockopt(sockfd, SOL_SOCKET, SO_REUSEADDR, 1) = 0 [Deno.listen] /* ${NOTE.reuseAddr} */`,
      `${t} fcntl(sockfd, F_SETFL, O_RDWR|O_NONBLOCK) = 0 [Deno.listen: fcntl(F_GETFL), fcntl(F_SETFL)] /* ${NOTE.nonBlocking} */`,
      `${t} bind(sockfd, [::]:0) = 0 [Deno.listen] /* ${NOTE.dualStack} */`,
      `${t} listen(sockfd, 511) = 0 [Deno.listen] /* ${NOTE.backlog} */`,
      `${t} getsockname(sockfd) = [::]:${port} [Deno.listen] /* ${NOTE.getsockname} */`,
      `${t} fork() not called: ${NOTE.fork}`,
      `server: listening on [::]:${port}`,
      `${t} accept(sockfd) = new_fd<${peer}> [listener.accept(): accept4, getsockname, getpeername] /* ${NOTE.accept} */`,
      `${t} send(new_fd<${peer}>, "Hello, world!", 13, MSG_NOSIGNAL) = 13 [conn.write(): sendto] /* ${NOTE.send} */`,
      `${t} close(new_fd<${peer}>) = ? [conn.close(): shutdown(SHUT_WR), close] /* ${NOTE.close} */`,
      `${t} close(sockfd) = ? [listener.close()] /* ${NOTE.datagramClose} */`,
    ]);
    // The default output is what it was.
    assertEquals(server.stdout.lines, [
      "server: waiting for connections...",
      "server: got connection from 127.0.0.1",
    ]);
  },
});

Deno.test({
  name: "server --trace --json carries trace events on stdout, none on stderr",
  ignore: NEEDS_SPAWN_V6(),
  async fn(): Promise<void> {
    await using server = TestProcess.tool("server", [
      "--trace",
      "--json",
      "-p",
      "0",
    ]);
    const port = await listeningPort(server.stderr);
    await readToEnd(await Deno.connect({ hostname: "127.0.0.1", port }));
    await server.stdout.waitFor(/"call":"close","by":"conn\.close\(\)"/);
    server.kill("SIGTERM");
    assertEquals(await server.exit(), 0);
    assertEquals(server.stderr.lines, [`server: listening on [::]:${port}`]);
    const events = traceEvents(server.stdout.lines);
    assertEquals(
      events.map((e) => e.call),
      [
        "getaddrinfo",
        "socket",
        "setsockopt",
        "fcntl",
        "bind",
        "listen",
        "getsockname",
        "fork",
        "accept",
        "send",
        "close",
        "close",
      ],
    );
    assertEquals(events.find((e) => e.call === "listen")?.backlog, 511);
  },
});

Deno.test({
  name:
    "server --trace agrees with strace: listen, accepts, sends, closes, no fork",
  ignore: NEEDS_STRACE(),
  async fn(): Promise<void> {
    await using run = await stracedTool("server", [
      "--trace",
      "--json",
      "-p",
      "0",
    ]);
    const port = Number(
      (await waitForEvent(run, /"event":"listening".*"port":(\d+)/, "ready"))[
        1
      ],
    );
    for (const hostname of ["127.0.0.1", "::1"]) {
      await readToEnd(await Deno.connect({ hostname, port }));
    }
    await waitUntilCount(run, /"by":"conn\.close\(\)"/, 2);
    await run.kill("SIGTERM");
    const { sockets } = await strace(run);
    assertEquals(sockets, 3);
  },
});

Deno.test({
  name:
    "server --workers 2 --trace agrees with strace: SO_REUSEPORT on each loop",
  ignore: NEEDS_STRACE(),
  async fn(): Promise<void> {
    await using run = await stracedTool("server", [
      "--trace",
      "--json",
      "--workers",
      "2",
      "-p",
      "0",
    ], { permissions: ["--allow-net", "--allow-read"] });
    const port = Number(
      (await waitForEvent(run, /"event":"listening".*"port":(\d+)/, "ready"))[
        1
      ],
    );
    for (let i = 0; i < 6; i++) {
      await readToEnd(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    await waitUntilCount(run, /"by":"conn\.close\(\)"/, 6);
    await run.kill("SIGTERM");
    const { events, sockets } = await strace(run);
    assertEquals(sockets, 2 + 6);
    const reusePort = events.filter((e) => e.option === "SO_REUSEPORT");
    assertEquals(reusePort.map((e) => e.thread), [undefined, 1]);
  },
});

/** Wait until `count` stdout lines match `pattern`. */
function waitUntilCount(
  run: Straced,
  pattern: RegExp,
  count: number,
): Promise<void> {
  return waitUntil(
    () =>
      run.process.stdout.lines.filter((line) => pattern.test(line)).length >=
        count,
    `${count} lines matching ${pattern}`,
  );
}

// ---------------------------------------------------------------- client

Deno.test({
  name: "client --trace shows the connect, each recv and the close",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { port, served } = greeter();
    await using client = TestProcess.tool("client", [
      "127.0.0.1",
      "-p",
      String(port),
      "--trace",
    ]);
    assertEquals(await client.exit(), 0);
    await served;
    const t = "client: trace:";
    assertEquals(client.stderr.lines, [
      `${t} getaddrinfo("127.0.0.1", NULL, {AF_UNSPEC, SOCK_STREAM}) not called: an address needs no lookup`,
      `${t} socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sockfd [Deno.connect]`,
      `${t} connect(sockfd, 127.0.0.1:${port}) = 0 [Deno.connect: connect, getsockopt(SO_ERROR), getsockname, getpeername] /* ${NOTE.connect} */`,
      `${t} recv(sockfd, buf, 65536, 0) = 13 [conn.read(): recvfrom] /* ${NOTE.recv} */`,
      `${t} recv(sockfd, buf, 65536, 0) = 0 [conn.read(): recvfrom] /* ${NOTE.eof} */`,
      `${t} close(sockfd) = ? [conn.close(): shutdown(SHUT_WR), close] /* ${NOTE.close} */`,
    ]);
    assertEquals(client.stdout.lines, [
      "client: connecting to 127.0.0.1",
      "client: received 'Hello, world!'",
    ]);
  },
});

Deno.test({
  name: "client --trace writes a refused connect as strace does",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const port = closedPort();
    await using client = TestProcess.tool("client", [
      "127.0.0.1",
      "-p",
      String(port),
      "--trace",
    ]);
    assertEquals(await client.exit(), 2);
    const t = "client: trace:";
    assertEquals(client.stderr.lines.slice(2), [
      `${t} connect(sockfd, 127.0.0.1:${port}) = -1 ECONNREFUSED (Connection refused) [Deno.connect: connect, getsockopt(SO_ERROR)] /* ${NOTE.connect} */`,
      `${t} close(sockfd) = ? [Deno.connect] /* ${NOTE.connectClose} */`,
      "client: connect: Connection refused",
      "client: failed to connect",
    ]);
  },
});

Deno.test({
  name: "client --trace names the lookup: getaddrinfo() = its addresses",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { port, served } = greeter();
    await using client = TestProcess.tool("client", [
      "localhost",
      "-4",
      "-p",
      String(port),
      "--trace",
    ]);
    assertEquals(await client.exit(), 0);
    await served;
    assertMatch(
      client.stderr.lines[0]!,
      /^client: trace: getaddrinfo\("localhost", NULL, \{AF_INET, SOCK_STREAM\}\) = \[127\.0\.0\.1\] \[node:dns lookup\(\)\] \/\* node:dns lookup\(\) runs the C library's getaddrinfo\(\)/,
    );
  },
});

Deno.test({
  name: "client --trace --raw keeps stdout for the payload alone",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    const { port, served } = greeter();
    await using client = TestProcess.tool("client", [
      "127.0.0.1",
      "-p",
      String(port),
      "--trace",
      "--raw",
    ]);
    assertEquals(await client.exit(), 0);
    await served;
    assertEquals(new TextDecoder().decode(client.output), "Hello, world!");
    assert(
      client.stderr.lines.some((l) => l.startsWith("client: trace: recv(")),
    );
  },
});

Deno.test({
  name:
    "client --trace agrees with strace: lookup, refused and made connects, recvs, close",
  ignore: NEEDS_STRACE(),
  async fn(): Promise<void> {
    for (
      const [host, port, code] of [
        ["localhost", greeter(), 0],
        ["127.0.0.1", { port: closedPort(), served: Promise.resolve() }, 2],
      ] as const
    ) {
      await using run = await stracedTool("client", [
        host,
        "-p",
        String(port.port),
        "--trace",
        "--json",
      ]);
      const { sockets } = await strace(run, code);
      assertEquals(sockets, 1);
      await port.served;
    }
  },
});

const DUAL = "dual.beejnet.test";

// A name with both families: /etc/hosts has none, so the client runs in a
// private mount namespace with a hosts file of the test's own over it.
const CAN_UNSHARE: boolean = CAN_SPAWN && HAS_IPV6 && (() => {
  try {
    return new Deno.Command("unshare", {
      args: ["-m", "mount", "--bind", "/etc/hosts", "/etc/hosts"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "client --trace of a race agrees with strace: [::1] refused, then 127.0.0.1",
  ignore: NEEDS_STRACE() ||
    ignoreUnless(
      CAN_UNSHARE,
      `a race needs root's unshare -m to give ${DUAL} a hosts entry`,
    ),
  async fn(): Promise<void> {
    const hosts = await Deno.makeTempFile({ prefix: "beejnet_hosts_" });
    try {
      await Deno.writeTextFile(
        hosts,
        `127.0.0.1 localhost\n::1 ${DUAL}\n127.0.0.1 ${DUAL}\n`,
      );
      const { port, served } = greeter();
      await using run = await straced([
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount --bind "$1" /etc/hosts && shift && exec "$@"',
        "sh",
        hosts,
        ...toolCommand("client"),
        DUAL,
        "-p",
        String(port),
        "--trace",
        "--json",
      ]);
      const { events, sockets } = await strace(run);
      await served;
      assertEquals(sockets, 2);
      const lookup = events.find((e) => e.call === "getaddrinfo")!;
      assertEquals(lookup.addresses, ["::1", "127.0.0.1"]);
      assertMatch(lookup.note!, /glibc sorted the addresses \(RFC 6724\)/);
      const connects = events.filter((e) => e.call === "connect");
      assertEquals(
        connects.map((e) => [e.address, e.result, e.errno]),
        [["::1", -1, "ECONNREFUSED"], ["127.0.0.1", 0, undefined]],
      );
      const second = events.filter((e) => e.call === "socket")[1]!;
      assertEquals(
        second.note,
        "started as the attempt before failed (RFC 8305)",
      );
      assert(second.at! >= 0 && connects[1]!.at! >= second.at!);
    } finally {
      await Deno.remove(hosts);
    }
  },
});

// ---------------------------------------------------------------- listener

Deno.test({
  name:
    "listener --trace shows the socket's making, each recvfrom and the close",
  ignore: NEEDS_SPAWN_V6(),
  async fn(): Promise<void> {
    await using listener = TestProcess.tool("listener", ["--trace", "-p", "0"]);
    const port = await listeningPort(listener.stderr);
    using peer = udp();
    const from = (peer.addr as Deno.NetAddr).port;
    await peer.send(encoder.encode("hi there"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    assertEquals(await listener.exit(), 0);
    const t = "listener: trace:";
    assertEquals(listener.stderr.lines, [
      `${t} getaddrinfo(NULL, "0", {AF_UNSPEC, SOCK_DGRAM, AI_PASSIVE}) not called: nothing to look up: the wildcard address is bound as it is`,
      `${t} socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_UDP) = sockfd [Deno.listenDatagram]`,
      `${t} bind(sockfd, [::]:0) = 0 [Deno.listenDatagram] /* ${NOTE.dualStack} */`,
      `${t} fcntl(sockfd, F_SETFL, O_RDWR|O_NONBLOCK) = 0 [Deno.listenDatagram: fcntl(F_GETFL), fcntl(F_SETFL)] /* ${NOTE.nonBlocking} */`,
      `${t} setsockopt(sockfd, SOL_SOCKET, SO_BROADCAST, 1) = 0 [Deno.listenDatagram] /* ${NOTE.broadcast} */`,
      `${t} setsockopt(sockfd, SOL_IPV6, IPV6_MULTICAST_LOOP, 0) = 0 [Deno.listenDatagram] /* ${NOTE.multicastLoop} */`,
      `${t} getsockname(sockfd) = [::]:${port} [Deno.listenDatagram] /* ${NOTE.getsockname} */`,
      `listener: listening on [::]:${port}`,
      `${t} recvfrom(sockfd, buf, 65536, 0) = 8 bytes from [::ffff:127.0.0.1]:${from} [socket.receive()] /* ${NOTE.recvfrom} */`,
      `${t} close(sockfd) = ? [socket.close()] /* ${NOTE.datagramClose} */`,
    ]);
    assertEquals(listener.stdout.lines, [
      "listener: waiting to recvfrom...",
      "listener: got packet from 127.0.0.1",
      "listener: packet is 8 bytes long",
      'listener: packet contains "hi there"',
    ]);
  },
});

Deno.test({
  name:
    "listener --trace agrees with strace: socket, options, bind, recvfrom, close",
  ignore: NEEDS_STRACE(),
  async fn(): Promise<void> {
    await using run = await stracedTool("listener", [
      "--trace",
      "--json",
      "-c",
      "2",
      "-p",
      "0",
    ]);
    const port = Number(
      (await waitForEvent(run, /"event":"listening".*"port":(\d+)/, "ready"))[
        1
      ],
    );
    using four = udp("127.0.0.1");
    using six = udp("::1");
    await four.send(encoder.encode("one"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    await six.send(encoder.encode("three"), {
      transport: "udp",
      hostname: "::1",
      port,
    });
    const { events, sockets } = await strace(run);
    assertEquals(sockets, 1);
    assertEquals(
      events.filter((e) => e.call === "recvfrom").map((e) => e.result),
      [3, 5],
    );
  },
});

// ---------------------------------------------------------------- talker

Deno.test({
  name:
    "talker --trace shows the socket, the sendto and, with -w, the reply's recvfrom",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using peer = udp();
    const port = (peer.addr as Deno.NetAddr).port;
    await using talker = TestProcess.tool("talker", [
      "127.0.0.1",
      "hello",
      "-p",
      String(port),
      "-w",
      "5",
      "--trace",
    ]);
    const [, from] = await deadline(peer.receive(), "the datagram");
    const sender = (from as Deno.NetAddr).port;
    await peer.send(encoder.encode("pong"), from);
    assertEquals(await talker.exit(), 0);
    const t = "talker: trace:";
    assertEquals(talker.stderr.lines, [
      `${t} getaddrinfo("127.0.0.1", NULL, {AF_UNSPEC, SOCK_STREAM}) not called: an address needs no lookup`,
      `${t} socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_UDP) = sockfd [Deno.listenDatagram]`,
      `${t} bind(sockfd, 0.0.0.0:0) = 0 [Deno.listenDatagram] /* ${NOTE.datagramBind} */`,
      `${t} fcntl(sockfd, F_SETFL, O_RDWR|O_NONBLOCK) = 0 [Deno.listenDatagram: fcntl(F_GETFL), fcntl(F_SETFL)] /* ${NOTE.nonBlocking} */`,
      `${t} setsockopt(sockfd, SOL_SOCKET, SO_BROADCAST, 1) = 0 [Deno.listenDatagram] /* ${NOTE.broadcast} */`,
      `${t} setsockopt(sockfd, SOL_IP, IP_MULTICAST_LOOP, 0) = 0 [Deno.listenDatagram] /* ${NOTE.multicastLoop} */`,
      `${t} getsockname(sockfd) = 0.0.0.0:${sender} [Deno.listenDatagram] /* ${NOTE.getsockname} */`,
      `${t} sendto(sockfd, "hello", 5, MSG_NOSIGNAL, 127.0.0.1:${port}) = 5 [socket.send()] /* ${NOTE.sendto} */`,
      `${t} recvfrom(sockfd, buf, 65536, 0) = 4 bytes from 127.0.0.1:${port} [socket.receive()] /* ${NOTE.recvfrom} */`,
      `${t} close(sockfd) = ? [socket.close()] /* ${NOTE.datagramClose} */`,
    ]);
    assertEquals(talker.stdout.lines.slice(0, 2), [
      "talker: sent 5 bytes to 127.0.0.1",
      "talker: got packet from 127.0.0.1",
    ]);
  },
});

Deno.test({
  name: "talker --trace -c shows every numbered sendto, from one socket",
  ignore: NEEDS_SPAWN(),
  async fn(): Promise<void> {
    using peer = udp();
    const port = (peer.addr as Deno.NetAddr).port;
    await using talker = TestProcess.tool("talker", [
      "127.0.0.1",
      "hi",
      "-p",
      String(port),
      "-c",
      "3",
      "--interval",
      "0",
      "--trace",
    ]);
    for (let i = 0; i < 3; i++) await deadline(peer.receive(), "a datagram");
    assertEquals(await talker.exit(), 0);
    const calls = talker.stderr.lines.map((line) =>
      /^talker: trace: (\w+)\(/.exec(line)?.[1]
    );
    assertEquals(calls.filter((c) => c === "socket").length, 1);
    assertEquals(calls.filter((c) => c === "close").length, 1);
    const sends = talker.stderr.lines.filter((_, i) => calls[i] === "sendto");
    // The three datagrams, then the run's three end markers of 24 bytes.
    assertEquals(sends.length, 6);
    for (const [i, line] of sends.entries()) {
      const bytes = i < 3 ? 22 : 24;
      assertMatch(
        line,
        new RegExp(
          `, ${bytes}, MSG_NOSIGNAL, 127\\.0\\.0\\.1:${port}\\) = ${bytes} `,
        ),
      );
    }
  },
});

Deno.test({
  name:
    "talker --trace agrees with strace: socket, bind, sendto, recvfrom, close",
  ignore: NEEDS_STRACE(),
  async fn(): Promise<void> {
    using peer = udp();
    const port = (peer.addr as Deno.NetAddr).port;
    await using run = await stracedTool("talker", [
      "localhost",
      "hello",
      "-4",
      "-p",
      String(port),
      "-w",
      "5",
      "--trace",
      "--json",
    ]);
    const [, from] = await deadline(peer.receive(), "the datagram");
    await peer.send(encoder.encode("pong"), from);
    const { events, sockets } = await strace(run);
    assertEquals(sockets, 1);
    assertEquals(
      events.filter((e) => e.call === "sendto" || e.call === "recvfrom").map((
        e,
      ) => [e.call, e.result]),
      [["sendto", 5], ["recvfrom", 4]],
    );
  },
});
