import { assertEquals } from "@std/assert";
import { assertThrowsExactly } from "./_util.ts";
import { type OptionSpec, parseArgs } from "../lib/parse_args.ts";

const SPEC = {
  port: { type: "string", short: "p" },
  ipv4: { type: "boolean", short: "4" },
  verbose: { type: "boolean", short: "v" },
  allow: { type: "string", short: "a", multiple: true },
  message: { type: "string", short: "m" },
} as const satisfies Record<string, OptionSpec>;

Deno.test("parseArgs() returns no values and no positionals for no arguments", () => {
  assertEquals(parseArgs([], SPEC), { values: {}, positionals: [] });
});

Deno.test("parseArgs() reads a long option and its value from the next argument", () => {
  assertEquals(parseArgs(["--port", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() reads a long option with =value", () => {
  assertEquals(parseArgs(["--port=80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() keeps everything after the first = in --opt=value", () => {
  assertEquals(parseArgs(["--message=a=b"], SPEC).values, {
    message: "a=b",
  });
  assertEquals(parseArgs(["--message="], SPEC).values, { message: "" });
});

Deno.test("parseArgs() reads a short option and its value from the next argument", () => {
  assertEquals(parseArgs(["-p", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() reads a short option's value attached: -p80", () => {
  assertEquals(parseArgs(["-p80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() sets a long flag to true", () => {
  assertEquals(parseArgs(["--verbose"], SPEC).values, { verbose: true });
});

Deno.test("parseArgs() reads combined short flags: -4v", () => {
  assertEquals(parseArgs(["-4v"], SPEC).values, {
    ipv4: true,
    verbose: true,
  });
});

Deno.test("parseArgs() ends combined short flags with an option that takes the rest: -4vp80", () => {
  assertEquals(parseArgs(["-4vp80"], SPEC).values, {
    ipv4: true,
    verbose: true,
    port: "80",
  });
  assertEquals(parseArgs(["-pv"], SPEC).values, { port: "v" });
});

Deno.test("parseArgs() keeps positionals in order, around options", () => {
  const { values, positionals } = parseArgs(
    ["host", "-p", "80", "message", "-v"],
    SPEC,
  );
  assertEquals(values, { port: "80", verbose: true });
  assertEquals(positionals, ["host", "message"]);
});

Deno.test("parseArgs() treats everything after -- as positionals", () => {
  const { values, positionals } = parseArgs(
    ["-v", "--", "-p", "--port", "--", "x"],
    SPEC,
  );
  assertEquals(values, { verbose: true });
  assertEquals(positionals, ["-p", "--port", "--", "x"]);
});

Deno.test("parseArgs() treats - as a positional", () => {
  const { values, positionals } = parseArgs(["host", "-"], SPEC);
  assertEquals(values, {});
  assertEquals(positionals, ["host", "-"]);
});

Deno.test("parseArgs() collects every value of a multiple option, in order", () => {
  assertEquals(
    parseArgs(["--allow", "a", "--allow=b", "-a", "c", "-ad"], SPEC).values,
    { allow: ["a", "b", "c", "d"] },
  );
});

Deno.test("parseArgs() gives a multiple option given once as a one-element list", () => {
  assertEquals(parseArgs(["-a", "x"], SPEC).values, { allow: ["x"] });
});

Deno.test("parseArgs() keeps the last value of a repeated single option", () => {
  assertEquals(parseArgs(["-p", "1", "--port", "2"], SPEC).values, {
    port: "2",
  });
});

Deno.test("parseArgs() refuses an unknown long option, naming it", () => {
  assertThrowsExactly(() => parseArgs(["--nope"], SPEC), TypeError, {
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseArgs() names an unknown long option without its =value", () => {
  assertThrowsExactly(() => parseArgs(["--nope=1"], SPEC), TypeError, {
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseArgs() refuses an unknown short option, naming it", () => {
  assertThrowsExactly(() => parseArgs(["-z"], SPEC), TypeError, {
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseArgs() refuses an unknown letter among combined flags", () => {
  assertThrowsExactly(() => parseArgs(["-4zv"], SPEC), TypeError, {
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseArgs() refuses a negative number as an unknown option", () => {
  assertThrowsExactly(() => parseArgs(["-1"], SPEC), TypeError, {
    message: 'Unknown option "-1"',
  });
});

Deno.test("parseArgs() refuses a long option with a missing value", () => {
  assertThrowsExactly(() => parseArgs(["--port"], SPEC), TypeError, {
    message: 'Option "--port" needs a value',
  });
});

Deno.test("parseArgs() refuses a short option with a missing value", () => {
  assertThrowsExactly(() => parseArgs(["-v", "-p"], SPEC), TypeError, {
    message: 'Option "-p" needs a value',
  });
});

Deno.test("parseArgs() refuses a value given to a flag: --verbose=1", () => {
  assertThrowsExactly(() => parseArgs(["--verbose=1"], SPEC), TypeError, {
    message: 'Option "--verbose" takes no value',
  });
});

Deno.test("parseArgs() lets -p consume -1 as its value, as getopt does", () => {
  assertEquals(parseArgs(["-p", "-1"], SPEC).values, { port: "-1" });
});

Deno.test("parseArgs() lets --port consume an argument that looks like an option", () => {
  assertEquals(parseArgs(["--port", "--verbose"], SPEC).values, {
    port: "--verbose",
  });
});

Deno.test("parseArgs() refuses option names inherited from Object.prototype", () => {
  for (
    const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]
  ) {
    assertThrowsExactly(() => parseArgs([`--${name}`], SPEC), TypeError, {
      message: `Unknown option "--${name}"`,
    });
  }
});

Deno.test("parseArgs() refuses --__proto__=value as an unknown option", () => {
  assertThrowsExactly(() => parseArgs(["--__proto__=x"], SPEC), TypeError, {
    message: 'Unknown option "--__proto__"',
  });
});

Deno.test("parseArgs() does not modify the arguments it is given", () => {
  const args = Object.freeze(["-p", "80", "host"]);
  assertEquals(parseArgs(args, SPEC), {
    values: { port: "80" },
    positionals: ["host"],
  });
});

Deno.test('parseArgs() says a short flag takes no value ("-q=1")', () => {
  assertThrowsExactly(
    () => parseArgs(["-q=1"], { quiet: { type: "boolean", short: "q" } }),
    TypeError,
    { message: 'Option "-q" takes no value' },
  );
});
