import assert from "node:assert/strict";
import {
  BindError,
  ConnectError,
  describeError,
  isPermissionError,
  ResolveError,
  TimeoutError,
} from "../lib/errors.ts";

// describeError

Deno.test("describeError() strips Deno's ' (os error N)' suffix", () => {
  assert.equal(
    describeError(new Error("Connection refused (os error 111)")),
    "Connection refused",
  );
  assert.equal(
    describeError(
      new Deno.errors.AddrInUse("Address already in use (os error 98)"),
    ),
    "Address already in use",
  );
});

Deno.test("describeError() leaves ' (os error N)' alone when it is not at the end", () => {
  assert.equal(
    describeError(new Error("a (os error 1) b")),
    "a (os error 1) b",
  );
});

Deno.test("describeError() keeps only the first line of a multi-line message", () => {
  assert.equal(
    describeError(new Error("Connection reset (os error 104)\n    at x\n")),
    "Connection reset",
  );
  assert.equal(describeError(new Error("first\nsecond")), "first");
});

Deno.test("describeError() turns non-Error values into text", () => {
  assert.equal(describeError("boom"), "boom");
  assert.equal(describeError(42), "42");
  assert.equal(describeError("line one\nline two"), "line one");
});

Deno.test("describeError() falls back to the error's name when the message is empty", () => {
  assert.equal(describeError(new TypeError("")), "TypeError");
  assert.equal(describeError(new Error("\nsecond line")), "Error");
});

Deno.test("describeError() says 'Unknown error' for an empty non-Error value", () => {
  assert.equal(describeError(""), "Unknown error");
});

Deno.test("describeError() gives perror's words for a real refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const error = await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (conn) => {
      conn.close();
      assert.fail("connected to a closed port");
    },
    (error: unknown) => error,
  );
  assert.ok(error instanceof Deno.errors.ConnectionRefused);
  assert.equal(describeError(error), "Connection refused");
});

// ResolveError

Deno.test("ResolveError() says 'Name or service not known' for ENOTFOUND and EAI_NONAME", () => {
  assert.equal(
    new ResolveError("x.invalid", "ENOTFOUND").message,
    "Name or service not known",
  );
  assert.equal(
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
    assert.equal(new ResolveError("host", code).message, message, code);
  }
});

Deno.test("ResolveError() names an unknown code in its message", () => {
  assert.equal(
    new ResolveError("host", "EWEIRD").message,
    "Name resolution failed (EWEIRD)",
  );
});

Deno.test("ResolveError() does not take a message from Object.prototype for a code like toString", () => {
  assert.equal(
    new ResolveError("host", "toString").message,
    "Name resolution failed (toString)",
  );
  assert.equal(
    new ResolveError("host", "__proto__").message,
    "Name resolution failed (__proto__)",
  );
});

Deno.test("ResolveError() keeps the host and the code", () => {
  const error = new ResolveError("nowhere.invalid", "ENOTFOUND");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ResolveError");
  assert.equal(error.host, "nowhere.invalid");
  assert.equal(error.code, "ENOTFOUND");
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
  assert.ok(error instanceof Error);
  assert.equal(error.name, "BindError");
  assert.deepEqual(error.failures, failures);
  assert.equal(error.failures[0]!.error, first);
  assert.equal(error.failures[1]!.error, second);
});

Deno.test("BindError() names the last address and its reason in the message", () => {
  const error = new BindError([
    { address: "::", error: new Error("x") },
    {
      address: "0.0.0.0",
      error: new Error("Address already in use (os error 98)"),
    },
  ]);
  assert.equal(error.message, 'Cannot bind "0.0.0.0": Address already in use');
});

Deno.test("BindError() with no failures says there was no address", () => {
  const error = new BindError([]);
  assert.equal(error.message, "Cannot bind: no address to bind");
  assert.deepEqual(error.failures, []);
});

// ConnectError

Deno.test("ConnectError() keeps every failure, in order", () => {
  const failures = [
    { address: "::1", error: new Error("Connection refused (os error 111)") },
    { address: "127.0.0.1", error: new TimeoutError("Connection timed out") },
  ];
  const error = new ConnectError(failures);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ConnectError");
  assert.deepEqual(error.failures, failures);
});

Deno.test("ConnectError() counts the addresses tried in its message", () => {
  const failure = { address: "::1", error: new Error("x") };
  assert.equal(
    new ConnectError([failure]).message,
    "Cannot connect: 1 address tried",
  );
  assert.equal(
    new ConnectError([failure, failure]).message,
    "Cannot connect: 2 addresses tried",
  );
  assert.equal(
    new ConnectError([]).message,
    "Cannot connect: 0 addresses tried",
  );
});

// TimeoutError

Deno.test("TimeoutError() is an Error named TimeoutError with the message given", () => {
  const error = new TimeoutError("Connection timed out");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "TimeoutError");
  assert.equal(error.message, "Connection timed out");
});

// isPermissionError

Deno.test("isPermissionError() is true for Deno.errors.NotCapable", () => {
  assert.equal(
    isPermissionError(
      new Deno.errors.NotCapable(
        'Requires net access to "example.com:80", run again with the --allow-net flag',
      ),
    ),
    true,
  );
  assert.equal(isPermissionError(new Deno.errors.NotCapable("no")), true);
});

Deno.test("isPermissionError() is true for PermissionDenied that asks for a flag", () => {
  assert.equal(
    isPermissionError(
      new Deno.errors.PermissionDenied(
        'Requires net access to "127.0.0.1:80", run again with the --allow-net flag',
      ),
    ),
    true,
  );
});

Deno.test("isPermissionError() is false for the operating system's EACCES", () => {
  assert.equal(
    isPermissionError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    ),
    false,
  );
});

Deno.test("isPermissionError() is false for other errors and values", () => {
  assert.equal(isPermissionError(new Error("--allow-net")), false);
  assert.equal(
    isPermissionError(new Deno.errors.ConnectionRefused("refused")),
    false,
  );
  assert.equal(isPermissionError("NotCapable"), false);
  assert.equal(isPermissionError(undefined), false);
});
