// tests/_strace.ts checks traces against strace; these tests check the
// checker, on strace output written down from a real run, so that a
// cross-check that passes means something.

import { assertEquals, assertThrows } from "@std/assert";
import type { TraceEvent } from "../lib/trace.ts";
import { checkTrace, parseStrace, splitArgs } from "./_strace.ts";

const STRACE = `\
100   socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 21<socket:[500]>
100   setsockopt(21<socket:[500]>, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
100   fcntl(21<socket:[500]>, F_GETFL) = 0x2 (flags O_RDWR)
100   fcntl(21<socket:[500]>, F_SETFL, O_RDWR|O_NONBLOCK) = 0
100   bind(21<socket:[500]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
100   listen(21<socket:[500]>, 511) = 0
100   getsockname(21<socket:[500]>, {sa_family=AF_INET, sin_port=htons(3490), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0
100   socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [22<socket:[501]>, 23<socket:[502]>]) = 0
101   recvfrom(22<socket:[501]>,  <unfinished ...>
100   accept4(21<socket:[500]>, -1 EAGAIN (Resource temporarily unavailable)
100   accept4(21<socket:[500]>, {sa_family=AF_INET, sin_port=htons(50412), sin_addr=inet_addr("127.0.0.1")}, [128 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK <unfinished ...>
101   <... recvfrom resumed>0x7ff9e4dfde38, 1024, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)
100   <... accept4 resumed>) = 24<socket:[503]>
100   getsockname(24<socket:[503]>, {sa_family=AF_INET, sin_port=htons(3490), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0
100   getpeername(24<socket:[503]>, {sa_family=AF_INET, sin_port=htons(50412), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0
100   sendto(24<socket:[503]>, "Hello, world!", 13, MSG_NOSIGNAL, NULL, 0) = 13
100   shutdown(24<socket:[503]>, SHUT_WR) = 0
100   close(24<socket:[503]>) = 0
100   close(21<socket:[500]>) = 0
`;

const by = "Deno.listen";
const EVENTS: readonly TraceEvent[] = [
  { call: "fork", skipped: "served here" },
  {
    call: "socket",
    by,
    socket: 1,
    family: "AF_INET",
    type: "SOCK_STREAM|SOCK_CLOEXEC",
    protocol: "IPPROTO_TCP",
  },
  {
    call: "setsockopt",
    by,
    socket: 1,
    level: "SOL_SOCKET",
    option: "SO_REUSEADDR",
    value: 1,
    result: 0,
  },
  {
    call: "fcntl",
    by,
    syscalls: ["fcntl(F_GETFL)", "fcntl(F_SETFL)"],
    socket: 1,
    command: "F_SETFL, O_RDWR|O_NONBLOCK",
    result: 0,
  },
  { call: "bind", by, socket: 1, address: "127.0.0.1", port: 0, result: 0 },
  { call: "listen", by, socket: 1, backlog: 511, result: 0 },
  {
    call: "getsockname",
    by,
    socket: 1,
    address: "127.0.0.1",
    port: 3490,
    result: 0,
  },
  {
    call: "accept",
    syscalls: ["accept4", "getsockname", "getpeername"],
    socket: 2,
    address: "127.0.0.1",
    port: 50412,
  },
  { call: "send", socket: 2, length: 13, result: 13 },
  { call: "close", syscalls: ["shutdown(SHUT_WR)", "close"], socket: 2 },
  { call: "close", socket: 1 },
];

function replaced(index: number, fields: Partial<TraceEvent>): TraceEvent[] {
  return EVENTS.map((e, i) => i === index ? { ...e, ...fields } : e);
}

Deno.test("splitArgs() splits at top-level commas only", () => {
  assertEquals(
    splitArgs('3<socket:[9]>, {a=1, b=[2, 3]}, "x, \\"y", 4'),
    ["3<socket:[9]>", "{a=1, b=[2, 3]}", '"x, \\"y"', "4"],
  );
});

Deno.test("parseStrace() joins an unfinished call to its resumption", () => {
  const accept = parseStrace(STRACE).find((c) =>
    c.name === "accept4" && c.returnedInode !== undefined
  );
  assertEquals(accept?.returnedInode, 503);
  assertEquals(accept?.inode, 500);
});

Deno.test("checkTrace() accepts a trace that matches strace", () => {
  // 9 calls on the listener (its EAGAIN passed over), 5 on the accepted one.
  assertEquals(checkTrace(EVENTS, parseStrace(STRACE)), {
    sockets: 2,
    matched: 14,
  });
});

Deno.test("checkTrace() rejects a wrong byte count", () => {
  assertThrows(
    () => checkTrace(replaced(8, { length: 12 }), parseStrace(STRACE)),
    Error,
    "12 bytes expected",
  );
});

Deno.test("checkTrace() rejects a wrong address or port", () => {
  assertThrows(
    () => checkTrace(replaced(4, { port: 3490 }), parseStrace(STRACE)),
    Error,
    "bind to 127.0.0.1 port 3490 expected",
  );
  assertThrows(
    () => checkTrace(replaced(7, { port: 50413 }), parseStrace(STRACE)),
    Error,
    "peer 127.0.0.1 port 50413 expected",
  );
});

Deno.test("checkTrace() rejects a wrong backlog or result", () => {
  assertThrows(
    () => checkTrace(replaced(5, { backlog: 10 }), parseStrace(STRACE)),
    Error,
    "backlog 10 expected",
  );
  assertThrows(
    () =>
      checkTrace(
        replaced(4, { result: -1, errno: "EADDRINUSE" }),
        parseStrace(STRACE),
      ),
    Error,
    "result differs",
  );
});

Deno.test("checkTrace() rejects a call strace has and the trace hides", () => {
  const events = EVENTS.filter((_, i) => i !== 2);
  assertThrows(
    () => checkTrace(events, parseStrace(STRACE)),
    Error,
    "expected fcntl(), strace has setsockopt()",
  );
  const extra = STRACE.replace(
    "100   shutdown(",
    '100   sendto(24<socket:[503]>, "!", 1, MSG_NOSIGNAL, NULL, 0) = 1\n100   shutdown(',
  );
  assertThrows(
    () => checkTrace(EVENTS, parseStrace(extra)),
    Error,
    "expected shutdown(), strace has sendto()",
  );
});

Deno.test("checkTrace() rejects a call the trace names and strace lacks", () => {
  const events = [...EVENTS, { call: "send", socket: 2, length: 1 } as const];
  assertThrows(
    () => checkTrace(events, parseStrace(STRACE)),
    Error,
    "the trace names sendto() that strace does not show",
  );
});

Deno.test("checkTrace() rejects a socket the trace does not name", () => {
  const events = EVENTS.filter((e) => e.socket !== 2);
  assertThrows(
    () => checkTrace(events, parseStrace(STRACE)),
    Error,
    "the trace names 1 sockets, strace shows 2",
  );
});

Deno.test("checkTrace() holds 'no fork()' and 'no lookup' against strace", () => {
  const forked = STRACE +
    "100   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD) = 200\n";
  assertThrows(
    () => checkTrace(EVENTS, parseStrace(forked)),
    Error,
    "the trace says no fork()",
  );
  const looked = STRACE +
    '102   openat(AT_FDCWD</>, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 25</etc/hosts>\n';
  const skipped: TraceEvent = {
    call: "getaddrinfo",
    host: null,
    service: "3490",
    skipped: "no lookup needed",
  };
  assertThrows(
    () => checkTrace([...EVENTS, skipped], parseStrace(looked)),
    Error,
    "the trace says getaddrinfo() was not called",
  );
});
