// cmd/_options.ts: the tools' command lines — @std/cli parseArgs behind one
// short rewrite of the getopt forms it reads otherwise — their help lines,
// and the numbers typed on them.

import {
  assert,
  assertEquals,
  assertNotMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { assertThrowsExactly } from "./_util.ts";
import {
  getoptForms,
  type OptionDeclarations,
  parseArgumentText,
  parseBind,
  parseBindPort,
  parseCommandLine,
  parseDecimal,
  parseDestinationPort,
  parseHost,
  parseInteger,
  parseSeconds,
  UsageError,
} from "../cmd/_options.ts";

const SPEC = {
  port: { short: "p", value: "N", help: "port" },
  ipv4: { short: "4", help: "IPv4" },
  verbose: { short: "v", help: "verbose" },
  allow: { short: "a", value: "CIDR", multiple: true, help: "allow" },
  message: { short: "m", value: "TEXT", help: "message" },
} as const satisfies OptionDeclarations;

Deno.test("parseCommandLine() returns no values and no positionals for no arguments", () => {
  assertEquals(parseCommandLine([], SPEC), { values: {}, positionals: [] });
});

Deno.test("parseCommandLine() reads a long option and its value from the next argument", () => {
  assertEquals(parseCommandLine(["--port", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseCommandLine() reads a long option with =value", () => {
  assertEquals(parseCommandLine(["--port=80"], SPEC).values, { port: "80" });
});

Deno.test("parseCommandLine() keeps everything after the first = in --opt=value", () => {
  assertEquals(parseCommandLine(["--message=a=b"], SPEC).values, {
    message: "a=b",
  });
  assertEquals(parseCommandLine(["--message="], SPEC).values, { message: "" });
});

Deno.test("parseCommandLine() reads a short option and its value from the next argument", () => {
  assertEquals(parseCommandLine(["-p", "80"], SPEC).values, { port: "80" });
});

Deno.test("parseCommandLine() reads a short option's value attached: -p80", () => {
  assertEquals(parseCommandLine(["-p80"], SPEC).values, { port: "80" });
});

Deno.test("parseCommandLine() sets a long flag to true", () => {
  assertEquals(parseCommandLine(["--verbose"], SPEC).values, { verbose: true });
});

Deno.test("parseCommandLine() reads combined short flags: -4v", () => {
  assertEquals(parseCommandLine(["-4v"], SPEC).values, {
    ipv4: true,
    verbose: true,
  });
});

Deno.test("parseCommandLine() ends combined short flags with an option that takes the rest: -4vp80", () => {
  assertEquals(parseCommandLine(["-4vp80"], SPEC).values, {
    ipv4: true,
    verbose: true,
    port: "80",
  });
  assertEquals(parseCommandLine(["-pv"], SPEC).values, { port: "v" });
});

Deno.test("parseCommandLine() keeps positionals in order, around options", () => {
  const { values, positionals } = parseCommandLine(
    ["host", "-p", "80", "message", "-v"],
    SPEC,
  );
  assertEquals(values, { port: "80", verbose: true });
  assertEquals(positionals, ["host", "message"]);
});

Deno.test("parseCommandLine() treats everything after -- as positionals", () => {
  const { values, positionals } = parseCommandLine(
    ["-v", "--", "-p", "--port", "--", "x"],
    SPEC,
  );
  assertEquals(values, { verbose: true });
  assertEquals(positionals, ["-p", "--port", "--", "x"]);
});

Deno.test("parseCommandLine() treats - as a positional", () => {
  const { values, positionals } = parseCommandLine(["host", "-"], SPEC);
  assertEquals(values, {});
  assertEquals(positionals, ["host", "-"]);
});

Deno.test("parseCommandLine() collects every value of a multiple option, in order", () => {
  assertEquals(
    parseCommandLine(["--allow", "a", "--allow=b", "-a", "c", "-ad"], SPEC)
      .values,
    { allow: ["a", "b", "c", "d"] },
  );
});

Deno.test("parseCommandLine() gives a multiple option given once as a one-element list", () => {
  assertEquals(parseCommandLine(["-a", "x"], SPEC).values, { allow: ["x"] });
});

Deno.test("parseCommandLine() keeps the last value of a repeated single option", () => {
  assertEquals(parseCommandLine(["-p", "1", "--port", "2"], SPEC).values, {
    port: "2",
  });
});

Deno.test("parseCommandLine() refuses an unknown long option, naming it", () => {
  assertThrowsExactly(() => parseCommandLine(["--nope"], SPEC), UsageError, {
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseCommandLine() names an unknown long option without its =value", () => {
  assertThrowsExactly(() => parseCommandLine(["--nope=1"], SPEC), UsageError, {
    message: 'Unknown option "--nope"',
  });
});

Deno.test("parseCommandLine() refuses an unknown short option, naming it", () => {
  assertThrowsExactly(() => parseCommandLine(["-z"], SPEC), UsageError, {
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseCommandLine() refuses an unknown letter among combined flags", () => {
  assertThrowsExactly(() => parseCommandLine(["-4zv"], SPEC), UsageError, {
    message: 'Unknown option "-z"',
  });
});

Deno.test("parseCommandLine() refuses a negative number as an unknown option", () => {
  assertThrowsExactly(() => parseCommandLine(["-1"], SPEC), UsageError, {
    message: 'Unknown option "-1"',
  });
});

Deno.test("parseCommandLine() refuses a long option with a missing value", () => {
  assertThrowsExactly(() => parseCommandLine(["--port"], SPEC), UsageError, {
    message: 'Option "--port" needs a value',
  });
});

Deno.test("parseCommandLine() refuses a short option with a missing value", () => {
  assertThrowsExactly(() => parseCommandLine(["-v", "-p"], SPEC), UsageError, {
    message: 'Option "-p" needs a value',
  });
});

Deno.test("parseCommandLine() refuses a value given to a flag: --verbose=1", () => {
  assertThrowsExactly(
    () => parseCommandLine(["--verbose=1"], SPEC),
    UsageError,
    {
      message: 'Option "--verbose" takes no value',
    },
  );
});

Deno.test("parseCommandLine() lets -p consume -1 as its value, as getopt does", () => {
  assertEquals(parseCommandLine(["-p", "-1"], SPEC).values, { port: "-1" });
});

Deno.test("parseCommandLine() lets --port consume an argument that looks like an option", () => {
  assertEquals(parseCommandLine(["--port", "--verbose"], SPEC).values, {
    port: "--verbose",
  });
});

Deno.test("parseCommandLine() refuses option names inherited from Object.prototype", () => {
  for (
    const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]
  ) {
    assertThrowsExactly(
      () => parseCommandLine([`--${name}`], SPEC),
      UsageError,
      {
        message: `Unknown option "--${name}"`,
      },
    );
  }
});

Deno.test("parseCommandLine() refuses --__proto__=value as an unknown option", () => {
  assertThrowsExactly(
    () => parseCommandLine(["--__proto__=x"], SPEC),
    UsageError,
    {
      message: 'Unknown option "--__proto__"',
    },
  );
});

Deno.test("parseCommandLine() does not modify the arguments it is given", () => {
  const args = Object.freeze(["-p", "80", "host"]);
  assertEquals(parseCommandLine(args, SPEC), {
    values: { port: "80" },
    positionals: ["host"],
  });
});

Deno.test('parseCommandLine() says a short flag takes no value ("-q=1")', () => {
  assertThrowsExactly(
    () => parseCommandLine(["-q=1"], { quiet: { short: "q", help: "quiet" } }),
    UsageError,
    { message: 'Option "-q" takes no value' },
  );
});

// Numbers

// parseBindPort

Deno.test("parseBindPort() accepts 0, for any free port", () => {
  assertStrictEquals(parseBindPort("0"), 0);
});

Deno.test("parseBindPort() accepts 65535, the largest port", () => {
  assertStrictEquals(parseBindPort("65535"), 65_535);
  assertStrictEquals(parseBindPort("3490"), 3490);
});

Deno.test("parseBindPort() refuses 65536 with a UsageError", () => {
  assertThrowsExactly(() => parseBindPort("65536"), UsageError, {
    message: 'Invalid port "65536": must be 0-65535',
  });
});

Deno.test("parseBindPort() refuses -1 with a UsageError", () => {
  assertThrowsExactly(() => parseBindPort("-1"), UsageError, {
    message: 'Invalid port "-1": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses trailing garbage: 3490x", () => {
  assertThrowsExactly(() => parseBindPort("3490x"), UsageError, {
    message: 'Invalid port "3490x": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses hex: 0x10", () => {
  assertThrowsExactly(() => parseBindPort("0x10"), UsageError, {
    message: 'Invalid port "0x10": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses the empty string", () => {
  assertThrowsExactly(() => parseBindPort(""), UsageError, {
    message: 'Invalid port "": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses surrounding whitespace", () => {
  assertThrowsExactly(() => parseBindPort(" 80"), UsageError, {
    message: 'Invalid port " 80": not a whole decimal number',
  });
  assertThrows(() => parseBindPort("80\n"), UsageError);
});

Deno.test("parseBindPort() refuses exponent notation: 1e3", () => {
  assertThrowsExactly(() => parseBindPort("1e3"), UsageError, {
    message: 'Invalid port "1e3": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses a decimal point: 80.0", () => {
  assertThrowsExactly(() => parseBindPort("80.0"), UsageError, {
    message: 'Invalid port "80.0": not a whole decimal number',
  });
});

Deno.test("parseBindPort() refuses a huge number with a UsageError", () => {
  assertThrowsExactly(() => parseBindPort("99999999999999999999"), UsageError, {
    message: 'Invalid port "99999999999999999999": must be 0-65535',
  });
});

// parseInteger

Deno.test("parseInteger() accepts the bounds min and max", () => {
  const options = { name: "count", min: 1, max: 10 };
  assertStrictEquals(parseInteger("1", options), 1);
  assertStrictEquals(parseInteger("10", options), 10);
});

Deno.test("parseInteger() refuses below min, naming the range", () => {
  assertThrowsExactly(
    () => parseInteger("0", { name: "count", min: 1, max: 10 }),
    UsageError,
    { message: 'Invalid count "0": must be 1-10' },
  );
});

Deno.test("parseInteger() refuses above max, naming the range", () => {
  assertThrowsExactly(
    () => parseInteger("11", { name: "count", min: 1, max: 10 }),
    UsageError,
    { message: 'Invalid count "11": must be 1-10' },
  );
});

Deno.test("parseInteger() without max says only the lower bound", () => {
  assertThrowsExactly(
    () => parseInteger("0", { name: "count", min: 1 }),
    UsageError,
    { message: 'Invalid count "0": must be at least 1' },
  );
});

Deno.test("parseInteger() defaults min to 0", () => {
  assertStrictEquals(parseInteger("0", { name: "bytes" }), 0);
});

Deno.test("parseInteger() names the number in a UsageError", () => {
  assertThrowsExactly(
    () => parseInteger("ten", { name: "max-bytes" }),
    UsageError,
    { message: 'Invalid max-bytes "ten": not a whole decimal number' },
  );
});

Deno.test("parseInteger() without max refuses a number too large to be exact, without claiming it is too small", () => {
  // Above Number.MAX_SAFE_INTEGER the value is inexact, so it is refused;
  // the message must not say "must be at least 0" of 99999999999999999999.
  const error = assertThrows(() =>
    parseInteger("99999999999999999999", { name: "count" })
  );
  assert(error instanceof UsageError);
  assertNotMatch(error.message, /must be at least 0$/);
});

// parseSeconds

Deno.test("parseSeconds() turns 0.5 seconds into 500 ms", () => {
  assertStrictEquals(parseSeconds("0.5"), 500);
});

Deno.test("parseSeconds() turns 1.5 seconds into 1500 ms", () => {
  assertStrictEquals(parseSeconds("1.5"), 1500);
  assertStrictEquals(parseSeconds("5"), 5000);
});

Deno.test("parseSeconds() accepts .5 and 5.", () => {
  assertStrictEquals(parseSeconds(".5"), 500);
  assertStrictEquals(parseSeconds("5."), 5000);
});

Deno.test("parseSeconds() accepts 86400 seconds, one day", () => {
  assertStrictEquals(parseSeconds("86400"), 86_400_000);
});

Deno.test("parseSeconds() refuses 0 and below as not positive, stating the range", () => {
  for (const text of ["0", "0.0", "-1", "-0.5"]) {
    assertThrowsExactly(() => parseSeconds(text), UsageError, {
      message:
        `Invalid timeout "${text}": must be positive: at least 0.001 and at most 86400 seconds`,
    });
  }
});

Deno.test("parseSeconds() refuses less than a millisecond with the real bound, 0.001", () => {
  // 0.0001 is more than 0: the message must not say it has to be.
  for (const text of ["0.0001", "0.0005", "0.000999"]) {
    assertThrowsExactly(() => parseSeconds(text), UsageError, {
      message:
        `Invalid timeout "${text}": must be at least 0.001 and at most 86400 seconds`,
    });
  }
  assertStrictEquals(parseSeconds("0.001"), 1);
  assertStrictEquals(parseSeconds("0.0015"), 2);
});

Deno.test("parseSeconds() refuses more than 86400 seconds, even by less than a millisecond", () => {
  for (const text of ["86401", "86400.0004"]) {
    assertThrowsExactly(() => parseSeconds(text), UsageError, {
      message:
        `Invalid timeout "${text}": must be at least 0.001 and at most 86400 seconds`,
    });
  }
});

Deno.test("parseSeconds() refuses abc, saying what it takes", () => {
  assertThrowsExactly(() => parseSeconds("abc"), UsageError, {
    message:
      'Invalid timeout "abc": not a plain number of seconds (such as 2 or 0.5)',
  });
});

Deno.test("parseSeconds() refuses signs, exponents, blanks and a lone dot", () => {
  for (
    const text of ["+1", "1e3", "1e6", "", " 1", ".", "-", "1.2.3", "Infinity"]
  ) {
    assertThrowsExactly(() => parseSeconds(text), UsageError, {
      message:
        `Invalid timeout "${text}": not a plain number of seconds (such as 2 or 0.5)`,
    });
  }
});

Deno.test("parseSeconds() names the duration in its messages", () => {
  assertThrowsExactly(() => parseSeconds("x", "wait"), UsageError, {
    message:
      'Invalid wait "x": not a plain number of seconds (such as 2 or 0.5)',
  });
});

Deno.test("parseCommandLine() takes a non-numeric attached value: -mHello", () => {
  assertEquals(parseCommandLine(["-mHello"], SPEC).values, {
    message: "Hello",
  });
  assertEquals(parseCommandLine(["-4mHello"], SPEC).values, {
    ipv4: true,
    message: "Hello",
  });
});

Deno.test("parseCommandLine() keeps positionals that look like numbers as text", () => {
  assertEquals(parseCommandLine(["1", "--", "-1", "0x10"], SPEC).positionals, [
    "1",
    "-1",
    "0x10",
  ]);
});

// parseBind

Deno.test("parseBind() keeps an address or name the resolver takes, as typed", () => {
  for (const bind of ["127.0.0.1", "::", "0.0.0.0", "[::1]", "localhost"]) {
    assertStrictEquals(parseBind(bind), bind);
  }
  assertStrictEquals(parseBind(undefined), undefined);
});

Deno.test("parseBind() refuses what parseHost() refuses, with its message", () => {
  assertThrowsExactly(() => parseBind("*"), UsageError, {
    message: 'Invalid host "*": not a host name',
  });
  assertThrowsExactly(() => parseBind("1.2.3.4:5"), UsageError, {
    message:
      'Invalid host "1.2.3.4:5": not a name or address; give the port with --port',
  });
});

Deno.test("parseHost() hints at --port only for what reads as HOST:PORT", () => {
  for (const host of ["localhost:3490", "1.2.3.4:5", "[::1]:3490"]) {
    assertThrowsExactly(() => parseHost(host), UsageError, {
      message:
        `Invalid host "${host}": not a name or address; give the port with --port`,
    });
  }
  for (const host of ["::1%", "1:2:3", "a:b"]) {
    assertThrowsExactly(() => parseHost(host), UsageError, {
      message: `Invalid host "${host}": not a name or address`,
    });
  }
});

// parseArgumentText

Deno.test("parseArgumentText() keeps UTF-8 text as it is", () => {
  for (const text of ["", "hello", "\u00e9\u{1f600}", "-", "a\nb"]) {
    assertStrictEquals(parseArgumentText(text, "Message", "use stdin"), text);
  }
});

Deno.test("parseArgumentText() refuses U+FFFD, Deno's stand-in for bytes not UTF-8", () => {
  for (const text of ["\uFFFD", "ok \uFFFD\uFFFD", "\uFFFDx"]) {
    assertThrowsExactly(
      () => parseArgumentText(text, "Message", "use stdin"),
      UsageError,
      {
        message:
          "Message is not valid UTF-8 (or contains U+FFFD): Deno cannot pass its bytes on from the command line; use stdin",
      },
    );
  }
});

// parseDestinationPort

Deno.test("parseDestinationPort() refuses 0: a destination is 1-65535", () => {
  assertThrowsExactly(() => parseDestinationPort("0"), UsageError, {
    message: 'Invalid port "0": must be 1-65535',
  });
});

Deno.test("parseDestinationPort() accepts 1 and 65535", () => {
  assertStrictEquals(parseDestinationPort("1"), 1);
  assertStrictEquals(parseDestinationPort("65535"), 65_535);
  assertThrowsExactly(() => parseDestinationPort("65536"), UsageError, {
    message: 'Invalid port "65536": must be 1-65535',
  });
});

Deno.test("parseDecimal() reads whole and fractional decimals within the range", () => {
  const options = { name: "rate", max: 100 };
  assertEquals(parseDecimal("0", options), 0);
  assertEquals(parseDecimal("12", options), 12);
  assertEquals(parseDecimal("0.25", options), 0.25);
  assertEquals(parseDecimal(".5", options), 0.5);
  assertEquals(parseDecimal("100.", options), 100);
});

Deno.test("parseDecimal() refuses text that is not a plain decimal, naming it", () => {
  for (
    const text of [
      "",
      "1e3",
      "1e-300",
      "1e309",
      "0x10",
      "1.2.3",
      " 1",
      "+1",
      "--1",
      "Infinity",
      "NaN",
    ]
  ) {
    assertThrowsExactly(
      () => parseDecimal(text, { name: "rate", max: 10 }),
      UsageError,
      {
        message:
          `Invalid rate "${text}": not a plain decimal number (such as 2 or 0.5)`,
      },
    );
  }
});

Deno.test("parseDecimal() refuses a value out of range, a negative one too, stating the range", () => {
  for (const text of ["10.5", "-1"]) {
    assertThrowsExactly(
      () => parseDecimal(text, { name: "interval", max: 10, unit: "seconds" }),
      UsageError,
      { message: `Invalid interval "${text}": must be 0-10 seconds` },
    );
  }
  // "-0" is in the range: what is wrong with it is its sign.
  assertThrowsExactly(
    () => parseDecimal("-0", { name: "interval", max: 10, unit: "seconds" }),
    UsageError,
    {
      message:
        'Invalid interval "-0": not a plain decimal number (such as 2 or 0.5)',
    },
  );
  const rate = { name: "rate", min: 0.001, max: 10 };
  assertThrowsExactly(() => parseDecimal("0", rate), UsageError, {
    message:
      'Invalid rate "0": must be positive: at least 0.001 and at most 10',
  });
  assertThrowsExactly(() => parseDecimal("-1", rate), UsageError, {
    message:
      'Invalid rate "-1": must be positive: at least 0.001 and at most 10',
  });
  assertThrowsExactly(() => parseDecimal("0.0001", rate), UsageError, {
    message: 'Invalid rate "0.0001": must be at least 0.001 and at most 10',
  });
  assertEquals(parseDecimal("0.001", rate), 0.001);
  assertThrowsExactly(
    () =>
      parseDecimal("0.00001", { ...rate, min: 1 / 86_400, minText: "1/86400" }),
    UsageError,
    {
      message:
        'Invalid rate "0.00001": must be at least 1/86400 and at most 10',
    },
  );
});

// The forms parseArgs reads otherwise than getopt, rewritten in front of it

Deno.test("parseCommandLine() reads each flag of a group with digits in it: -v4, -4v6", () => {
  const spec = { ...SPEC, ipv6: { short: "6", help: "IPv6" } };
  assertEquals(parseCommandLine(["-v4"], spec).values, {
    verbose: true,
    ipv4: true,
  });
  assertEquals(parseCommandLine(["-4v6"], spec).values, {
    ipv4: true,
    verbose: true,
    ipv6: true,
  });
});

Deno.test("parseCommandLine() leaves a true or false after a flag as a positional", () => {
  for (
    const args of [["--verbose", "true"], ["-v", "false"], ["-4v", "true"]]
  ) {
    const { values, positionals } = parseCommandLine(args, SPEC);
    assertStrictEquals(values.verbose, true, args.join(" "));
    assertEquals(positionals, [args[1]], args.join(" "));
  }
});

Deno.test('parseCommandLine() takes an empty next argument as the value, not as a positional: --port ""', () => {
  for (const args of [["--port", ""], ["-p", ""], ["-4p", ""]]) {
    assertEquals(parseCommandLine(args, SPEC).positionals, [], args.join(" "));
    assertStrictEquals(parseCommandLine(args, SPEC).values.port, "");
  }
});

Deno.test("parseCommandLine() takes -- and = as values where getopt does", () => {
  assertEquals(parseCommandLine(["-m", "--", "host"], SPEC), {
    values: { message: "--" },
    positionals: ["host"],
  });
  assertEquals(parseCommandLine(["--message", "--", "host"], SPEC), {
    values: { message: "--" },
    positionals: ["host"],
  });
  assertEquals(parseCommandLine(["-p=80"], SPEC).values, { port: "=80" });
});

Deno.test("parseCommandLine() keeps a newline in a value, attached or not", () => {
  for (const args of [["-ma\nb"], ["--message=a\nb"], ["-m", "a\nb"]]) {
    assertEquals(parseCommandLine(args, SPEC).values, { message: "a\nb" });
  }
});

Deno.test("parseCommandLine() refuses --no-NAME=VALUE as an unknown option, not as NAME", () => {
  for (const arg of ["--no-port=80", "--no-verbose=1", "--no-verbose"]) {
    assertThrowsExactly(() => parseCommandLine([arg], SPEC), UsageError, {
      message: `Unknown option "${arg.split("=")[0]}"`,
    });
  }
});

Deno.test('parseCommandLine() names an unknown letter "-" or "=" in a group', () => {
  assertThrowsExactly(() => parseCommandLine(["-v-"], SPEC), UsageError, {
    message: 'Unknown option "--"',
  });
  assertThrowsExactly(() => parseCommandLine(["-4=1"], SPEC), UsageError, {
    message: 'Option "-4" takes no value',
  });
});

Deno.test("parseCommandLine() reports the first mistake of a group, in order", () => {
  assertThrowsExactly(() => parseCommandLine(["-zp"], SPEC), UsageError, {
    message: 'Unknown option "-z"',
  });
  assertThrowsExactly(() => parseCommandLine(["-4p"], SPEC), UsageError, {
    message: 'Option "-p" needs a value',
  });
});

Deno.test("getoptForms() rewrites only what parseArgs reads otherwise", () => {
  assertEquals(
    getoptForms(["-p", "80", "--port", "81", "--port=82", "host", "-v"], SPEC),
    ["-p", "80", "--port", "81", "--port=82", "host", "-v"],
  );
  assertEquals(getoptForms(["-4vp80", "-mHi", "-p", "-1"], SPEC), [
    "-4",
    "-v",
    "--port=80",
    "--message=Hi",
    "--port=-1",
  ]);
  assertEquals(getoptForms(["-v", "--", "-x"], SPEC), ["-v", "--", "-x"]);
});
