import assert from "node:assert/strict";
import { type OptionSpec, parseArgs } from "../lib/parse_args.ts";

const SPEC = {
  port: { type: "string", short: "p" },
  ipv4: { type: "boolean", short: "4" },
  verbose: { type: "boolean", short: "v" },
  allow: { type: "string", short: "a", multiple: true },
  message: { type: "string", short: "m" },
} as const satisfies Record<string, OptionSpec>;

Deno.test("parseArgs() returns no values and no positionals for no arguments", () => {
  assert.deepEqual(parseArgs([], SPEC), { values: {}, positionals: [] });
});

Deno.test("parseArgs() reads a long option and its value from the next argument", () => {
  assert.deepEqual(parseArgs(["--port", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() reads a long option with =value", () => {
  assert.deepEqual(parseArgs(["--port=80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() keeps everything after the first = in --opt=value", () => {
  assert.deepEqual(parseArgs(["--message=a=b"], SPEC).values, {
    message: "a=b",
  });
  assert.deepEqual(parseArgs(["--message="], SPEC).values, { message: "" });
});

Deno.test("parseArgs() reads a short option and its value from the next argument", () => {
  assert.deepEqual(parseArgs(["-p", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() reads a short option's value attached: -p80", () => {
  assert.deepEqual(parseArgs(["-p80"], SPEC).values, { port: "80" });
});

Deno.test("parseArgs() sets a long flag to true", () => {
  assert.deepEqual(parseArgs(["--verbose"], SPEC).values, { verbose: true });
});

Deno.test("parseArgs() reads combined short flags: -4v", () => {
  assert.deepEqual(parseArgs(["-4v"], SPEC).values, {
    ipv4: true,
    verbose: true,
  });
});

Deno.test("parseArgs() ends combined short flags with an option that takes the rest: -4vp80", () => {
  assert.deepEqual(parseArgs(["-4vp80"], SPEC).values, {
    ipv4: true,
    verbose: true,
    port: "80",
  });
  assert.deepEqual(parseArgs(["-pv"], SPEC).values, { port: "v" });
});

Deno.test("parseArgs() keeps positionals in order, around options", () => {
  const { values, positionals } = parseArgs(
    ["host", "-p", "80", "message", "-v"],
    SPEC,
  );
  assert.deepEqual(values, { port: "80", verbose: true });
  assert.deepEqual(positionals, ["host", "message"]);
});

Deno.test("parseArgs() treats everything after -- as positionals", () => {
  const { values, positionals } = parseArgs(
    ["-v", "--", "-p", "--port", "--", "x"],
    SPEC,
  );
  assert.deepEqual(values, { verbose: true });
  assert.deepEqual(positionals, ["-p", "--port", "--", "x"]);
});

Deno.test("parseArgs() treats - as a positional", () => {
  const { values, positionals } = parseArgs(["host", "-"], SPEC);
  assert.deepEqual(values, {});
  assert.deepEqual(positionals, ["host", "-"]);
});

Deno.test("parseArgs() collects every value of a multiple option, in order", () => {
  assert.deepEqual(
    parseArgs(["--allow", "a", "--allow=b", "-a", "c", "-ad"], SPEC).values,
    { allow: ["a", "b", "c", "d"] },
  );
});

Deno.test("parseArgs() gives a multiple option given once as a one-element list", () => {
  assert.deepEqual(parseArgs(["-a", "x"], SPEC).values, { allow: ["x"] });
});

Deno.test("parseArgs() keeps the last value of a repeated single option", () => {
  assert.deepEqual(parseArgs(["-p", "1", "--port", "2"], SPEC).values, {
    port: "2",
  });
});

Deno.test("parseArgs() refuses an unknown long option, naming it", () => {
  assert.throws(() => parseArgs(["--nope"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseArgs() names an unknown long option without its =value", () => {
  assert.throws(() => parseArgs(["--nope=1"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseArgs() refuses an unknown short option, naming it", () => {
  assert.throws(() => parseArgs(["-z"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseArgs() refuses an unknown letter among combined flags", () => {
  assert.throws(() => parseArgs(["-4zv"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseArgs() refuses a negative number as an unknown option", () => {
  assert.throws(() => parseArgs(["-1"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "-1"',
  });
});

Deno.test("parseArgs() refuses a long option with a missing value", () => {
  assert.throws(() => parseArgs(["--port"], SPEC), {
    name: "TypeError",
    message: 'Option "--port" needs a value',
  });
});

Deno.test("parseArgs() refuses a short option with a missing value", () => {
  assert.throws(() => parseArgs(["-v", "-p"], SPEC), {
    name: "TypeError",
    message: 'Option "-p" needs a value',
  });
});

Deno.test("parseArgs() refuses a value given to a flag: --verbose=1", () => {
  assert.throws(() => parseArgs(["--verbose=1"], SPEC), {
    name: "TypeError",
    message: 'Option "--verbose" takes no value',
  });
});

Deno.test("parseArgs() lets -p consume -1 as its value, as getopt does", () => {
  assert.deepEqual(parseArgs(["-p", "-1"], SPEC).values, { port: "-1" });
});

Deno.test("parseArgs() lets --port consume an argument that looks like an option", () => {
  assert.deepEqual(parseArgs(["--port", "--verbose"], SPEC).values, {
    port: "--verbose",
  });
});

Deno.test("parseArgs() refuses option names inherited from Object.prototype", () => {
  for (
    const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]
  ) {
    assert.throws(() => parseArgs([`--${name}`], SPEC), {
      name: "TypeError",
      message: `Unknown option "--${name}"`,
    });
  }
});

Deno.test("parseArgs() refuses --__proto__=value as an unknown option", () => {
  assert.throws(() => parseArgs(["--__proto__=x"], SPEC), {
    name: "TypeError",
    message: 'Unknown option "--__proto__"',
  });
});

Deno.test("parseArgs() does not modify the arguments it is given", () => {
  const args = Object.freeze(["-p", "80", "host"]);
  assert.deepEqual(parseArgs(args, SPEC), {
    values: { port: "80" },
    positionals: ["host"],
  });
});

Deno.test('parseArgs() says a short flag takes no value ("-q=1")', () => {
  assert.throws(
    () => parseArgs(["-q=1"], { quiet: { type: "boolean", short: "q" } }),
    { name: "TypeError", message: 'Option "-q" takes no value' },
  );
});
