import { assertEquals } from "@std/assert";
import {
  formatTraceEvent,
  traceFields,
  traceFormatter,
} from "../lib/text/trace.ts";

Deno.test("formatTraceEvent() writes a lookup as the guide calls it", () => {
  assertEquals(
    formatTraceEvent({
      call: "getaddrinfo",
      by: "node:dns lookup()",
      host: "localhost",
      service: null,
      family: "AF_UNSPEC",
      type: "SOCK_STREAM",
      result: 0,
      addresses: ["::1", "127.0.0.1"],
    }),
    'getaddrinfo("localhost", NULL, {AF_UNSPEC, SOCK_STREAM}) = [::1, 127.0.0.1] [node:dns lookup()]',
  );
});

Deno.test("formatTraceEvent() says why a call of the guide is not made", () => {
  assertEquals(
    formatTraceEvent({
      call: "getaddrinfo",
      host: null,
      service: "3490",
      family: "AF_UNSPEC",
      type: "SOCK_STREAM",
      flags: "AI_PASSIVE",
      skipped: "the wildcard needs no lookup",
    }),
    'getaddrinfo(NULL, "3490", {AF_UNSPEC, SOCK_STREAM, AI_PASSIVE}) not called: the wildcard needs no lookup',
  );
  assertEquals(
    formatTraceEvent({ call: "fork", skipped: "served in this process" }),
    "fork() not called: served in this process",
  );
});

Deno.test("formatTraceEvent() brackets IPv6 addresses and names the peer of new_fd", () => {
  assertEquals(
    formatTraceEvent({
      call: "bind",
      by: "Deno.listen",
      fd: "sockfd",
      address: "::",
      port: 3490,
      result: 0,
    }),
    "bind(sockfd, [::]:3490) = 0 [Deno.listen]",
  );
  assertEquals(
    formatTraceEvent({
      call: "accept",
      by: "listener.accept()",
      syscalls: ["accept4", "getsockname", "getpeername"],
      fd: "new_fd",
      peer: "[::ffff:127.0.0.1]:50412",
      address: "::ffff:127.0.0.1",
      port: 50412,
    }),
    "accept(sockfd) = new_fd<[::ffff:127.0.0.1]:50412> [listener.accept(): accept4, getsockname, getpeername]",
  );
});

Deno.test("formatTraceEvent() shows a payload as strace -s 32 does, escaped", () => {
  const data = new TextEncoder().encode('Hi "there"\x1b[2J' + "x".repeat(40));
  assertEquals(
    formatTraceEvent({
      call: "send",
      by: "conn.write()",
      fd: "new_fd",
      data,
      length: data.length,
      result: data.length,
    }),
    `send(new_fd, "Hi \\"there\\"\\x1b[2Jxxxxxxxxxxxxxxxxxx"..., ${data.length}, MSG_NOSIGNAL) = ${data.length} [conn.write()]`,
  );
});

Deno.test("formatTraceEvent() writes a failure as strace does", () => {
  assertEquals(
    formatTraceEvent({
      call: "connect",
      by: "Deno.connect",
      syscalls: ["connect", "getsockopt(SO_ERROR)"],
      fd: "sockfd",
      address: "::1",
      port: 3490,
      result: -1,
      errno: "ECONNREFUSED",
      message: "Connection refused",
      at: 250.04,
    }),
    "connect(sockfd, [::1]:3490) = -1 ECONNREFUSED (Connection refused) at +250.0 ms [Deno.connect: connect, getsockopt(SO_ERROR)]",
  );
});

Deno.test("formatTraceEvent() keeps a name from outside inert", () => {
  assertEquals(
    formatTraceEvent({
      call: "getaddrinfo",
      host: "evil\x1b]0;x\x07",
      service: null,
      family: "AF_UNSPEC",
      type: "SOCK_STREAM",
      errno: "ENOTFOUND",
      message: "getaddrinfo ENOTFOUND evil\x1b]0;x\x07",
    }),
    'getaddrinfo("evil\\x1b]0;x\\x07", NULL, {AF_UNSPEC, SOCK_STREAM}) = ENOTFOUND (getaddrinfo ENOTFOUND evil\\x1b]0;x\\x07)',
  );
});

Deno.test("formatTraceEvent() writes a datagram's sender after its size", () => {
  assertEquals(
    formatTraceEvent({
      call: "recvfrom",
      by: "socket.receive()",
      fd: "sockfd",
      length: 65536,
      address: "::ffff:127.0.0.1",
      port: 56357,
      result: 8,
    }),
    "recvfrom(sockfd, buf, 65536, 0) = 8 bytes from [::ffff:127.0.0.1]:56357 [socket.receive()]",
  );
});

Deno.test("traceFormatter() adds each note once", () => {
  const format = traceFormatter();
  const close = { call: "close", fd: "new_fd", note: "no result" } as const;
  assertEquals(format(close), "close(new_fd) = ? /* no result */");
  assertEquals(format(close), "close(new_fd) = ?");
});

Deno.test("traceFields() leaves the payload out of JSON", () => {
  assertEquals(
    traceFields({ call: "sendto", data: new Uint8Array(3), length: 3 }),
    { call: "sendto", length: 3 },
  );
});

Deno.test("formatTraceEvent() names the worker thread that made a call", () => {
  assertEquals(
    formatTraceEvent({
      call: "setsockopt",
      by: "Deno.listen",
      thread: 1,
      fd: "sockfd",
      level: "SOL_SOCKET",
      option: "SO_REUSEPORT",
      value: 1,
      result: 0,
    }),
    "setsockopt(sockfd, SOL_SOCKET, SO_REUSEPORT, 1) = 0 [Deno.listen on worker 1]",
  );
  assertEquals(
    formatTraceEvent({
      call: "getaddrinfo",
      thread: 2,
      host: "::",
      service: null,
      family: "AF_UNSPEC",
      type: "SOCK_STREAM",
      skipped: "an address needs no lookup",
    }),
    'getaddrinfo("::", NULL, {AF_UNSPEC, SOCK_STREAM}) not called: an address needs no lookup [on worker 2]',
  );
});
