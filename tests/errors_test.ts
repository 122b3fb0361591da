import { assert, assertEquals, assertStrictEquals, fail } from "@std/assert";
import {
  BindError,
  ConnectError,
  describeError,
  isPermissionError,
  ResolveError,
  SendError,
} from "../lib/errors.ts";
import { freeTcpPort } from "./_util.ts";

// describeError

Deno.test("describeError() strips Deno's ' (os error N)' suffix", () => {
  assertStrictEquals(
    describeError(new Error("Connection refused (os error 111)")),
    "Connection refused",
  );
  assertStrictEquals(
    describeError(
      new Deno.errors.AddrInUse("Address already in use (os error 98)"),
    ),
    "Address already in use",
  );
});

Deno.test("describeError() leaves ' (os error N)' alone when it is not at the end", () => {
  assertStrictEquals(
    describeError(new Error("a (os error 1) b")),
    "a (os error 1) b",
  );
});

Deno.test("describeError() keeps only the first line of a multi-line message", () => {
  assertStrictEquals(
    describeError(new Error("Connection reset (os error 104)\n    at x\n")),
    "Connection reset",
  );
  assertStrictEquals(describeError(new Error("first\nsecond")), "first");
});

Deno.test("describeError() turns non-Error values into text", () => {
  assertStrictEquals(describeError("boom"), "boom");
  assertStrictEquals(describeError(42), "42");
  assertStrictEquals(describeError("line one\nline two"), "line one");
});

Deno.test("describeError() falls back to the error's name when the message is empty", () => {
  assertStrictEquals(describeError(new TypeError("")), "TypeError");
  assertStrictEquals(describeError(new Error("\nsecond line")), "Error");
});

Deno.test("describeError() says 'Unknown error' for an empty non-Error value", () => {
  assertStrictEquals(describeError(""), "Unknown error");
});

Deno.test("describeError() gives perror's words for a real refused connection", async () => {
  const port = freeTcpPort();
  const error = await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (conn) => {
      conn.close();
      fail("connected to a closed port");
    },
    (error: unknown) => error,
  );
  assert(error instanceof Deno.errors.ConnectionRefused);
  assertStrictEquals(describeError(error), "Connection refused");
});

// ResolveError

Deno.test("ResolveError() says 'Name or service not known' for ENOTFOUND and EAI_NONAME", () => {
  assertStrictEquals(
    new ResolveError("x.invalid", "ENOTFOUND").message,
    "Name or service not known",
  );
  assertStrictEquals(
    new ResolveError("x.invalid", "EAI_NONAME").message,
    "Name or service not known",
  );
});

Deno.test("ResolveError() uses gai_strerror's words for each resolver code", () => {
  const expected: Record<string, string> = {
    EAI_AGAIN: "Temporary failure in name resolution",
    ENODATA: "No address associated with hostname",
    EAI_NODATA: "No address associated with hostname",
    EAI_FAIL: "Non-recoverable failure in name resolution",
    EAI_FAMILY: "ai_family not supported",
    EAI_ADDRFAMILY: "Address family for hostname not supported",
    EAI_MEMORY: "Memory allocation failure",
    EAI_SYSTEM: "System error",
  };
  for (const [code, message] of Object.entries(expected)) {
    assertStrictEquals(new ResolveError("host", code).message, message, code);
  }
});

Deno.test("ResolveError() names an unknown code in its message", () => {
  assertStrictEquals(
    new ResolveError("host", "EWEIRD").message,
    "Name resolution failed (EWEIRD)",
  );
});

Deno.test("ResolveError() does not take a message from Object.prototype for a code like toString", () => {
  assertStrictEquals(
    new ResolveError("host", "toString").message,
    "Name resolution failed (toString)",
  );
  assertStrictEquals(
    new ResolveError("host", "__proto__").message,
    "Name resolution failed (__proto__)",
  );
});

Deno.test("ResolveError() keeps the host and the code", () => {
  const error = new ResolveError("nowhere.invalid", "ENOTFOUND");
  assert(error instanceof Error);
  assertStrictEquals(error.name, "ResolveError");
  assertStrictEquals(error.host, "nowhere.invalid");
  assertStrictEquals(error.code, "ENOTFOUND");
});

// BindError

Deno.test("BindError() keeps every failure, in order", () => {
  const first = new Error("Address family not supported (os error 97)");
  const second = new Deno.errors.AddrInUse(
    "Address already in use (os error 98)",
  );
  const failures = [
    { address: "::", error: first },
    { address: "0.0.0.0", error: second },
  ];
  const error = new BindError(failures);
  assert(error instanceof Error);
  assertStrictEquals(error.name, "BindError");
  assertEquals(error.failures, failures);
  assertStrictEquals(error.failures[0]!.error, first);
  assertStrictEquals(error.failures[1]!.error, second);
});

Deno.test("BindError() names the last address and its reason in the message", () => {
  const error = new BindError([
    { address: "::", error: new Error("x") },
    {
      address: "0.0.0.0",
      error: new Error("Address already in use (os error 98)"),
    },
  ]);
  assertStrictEquals(
    error.message,
    'Cannot bind "0.0.0.0": Address already in use',
  );
});

Deno.test("BindError() with no failures says there was no address", () => {
  const error = new BindError([]);
  assertStrictEquals(error.message, "Cannot bind: no address to bind");
  assertEquals(error.failures, []);
});

// ConnectError

Deno.test("ConnectError() keeps every failure, in order", () => {
  const failures = [
    { address: "::1", error: new Error("Connection refused (os error 111)") },
    {
      address: "127.0.0.1",
      error: new DOMException("Connection timed out", "TimeoutError"),
    },
  ];
  const error = new ConnectError(failures);
  assert(error instanceof Error);
  assertStrictEquals(error.name, "ConnectError");
  assertEquals(error.failures, failures);
});

Deno.test("ConnectError() counts the addresses tried in its message", () => {
  const failure = { address: "::1", error: new Error("x") };
  assertStrictEquals(
    new ConnectError([failure]).message,
    "Cannot connect: 1 address tried",
  );
  assertStrictEquals(
    new ConnectError([failure, failure]).message,
    "Cannot connect: 2 addresses tried",
  );
  assertStrictEquals(
    new ConnectError([]).message,
    "Cannot connect: 0 addresses tried",
  );
});

// cause

Deno.test("ResolveError() keeps the resolver's error as its cause", () => {
  const resolver = Object.assign(new Error("getaddrinfo ENOTFOUND x.invalid"), {
    code: "ENOTFOUND",
  });
  const error = new ResolveError("x.invalid", "ENOTFOUND", { cause: resolver });
  assertStrictEquals(error.cause, resolver);
  assertStrictEquals(error.message, "Name or service not known");
  assertStrictEquals("cause" in new ResolveError("x", "ENOTFOUND"), false);
});

for (const AnError of [BindError, ConnectError, SendError]) {
  Deno.test(`${AnError.name}() has the only failure's error as its cause`, () => {
    const refused = new Error("Connection refused (os error 111)");
    const error = new AnError([{ address: "::1", error: refused }]);
    assertStrictEquals(error.cause, refused);
  });

  Deno.test(`${AnError.name}() has the first failure's error as its cause`, () => {
    const first = new Error("first");
    const error = new AnError([
      { address: "::1", error: first },
      { address: "127.0.0.1", error: new Error("second") },
    ]);
    assertStrictEquals(error.cause, first);
  });

  Deno.test(`${AnError.name}() of no failure has no cause`, () => {
    assertStrictEquals("cause" in new AnError([]), false);
  });
}

// One timeout convention

Deno.test("the library has no TimeoutError class of its own: a timeout is a DOMException", async () => {
  const errors: Record<string, unknown> = await import("../lib/errors.ts");
  const root: Record<string, unknown> = await import("../mod.ts");
  assertStrictEquals("TimeoutError" in errors, false);
  assertStrictEquals("TimeoutError" in root, false);
});

// isPermissionError

Deno.test("isPermissionError() is true for Deno.errors.NotCapable", () => {
  assertStrictEquals(
    isPermissionError(
      new Deno.errors.NotCapable(
        'Requires net access to "example.com:80", run again with the --allow-net flag',
      ),
    ),
    true,
  );
  assertStrictEquals(isPermissionError(new Deno.errors.NotCapable("no")), true);
});

Deno.test("isPermissionError() is true for PermissionDenied that asks for a flag", () => {
  assertStrictEquals(
    isPermissionError(
      new Deno.errors.PermissionDenied(
        'Requires net access to "127.0.0.1:80", run again with the --allow-net flag',
      ),
    ),
    true,
  );
});

Deno.test("isPermissionError() is false for the operating system's EACCES", () => {
  assertStrictEquals(
    isPermissionError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    ),
    false,
  );
});

Deno.test("isPermissionError() is false for other errors and values", () => {
  assertStrictEquals(isPermissionError(new Error("--allow-net")), false);
  assertStrictEquals(
    isPermissionError(new Deno.errors.ConnectionRefused("refused")),
    false,
  );
  assertStrictEquals(isPermissionError("NotCapable"), false);
  assertStrictEquals(isPermissionError(undefined), false);
});
