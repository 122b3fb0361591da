// Private to lib/text/: the one rule for what must not reach a terminal as
// is, shared by the text escapes (escape.ts) and JSON lines (json_line.ts).
//
// Nothing is built when the module loads: every tool loads it, and most runs
// print only ASCII. The pattern is compiled on first use, not as a literal:
// a regular expression with Unicode property classes costs V8 ≈ 4 M
// instructions to set up (STARTUP.md), ≈ 9% of an empty `deno run`.

/** The source of the pattern that matches one code point unsafe to print. */
const UNSAFE_SOURCE = "[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cn}\\p{Cs}\\p{Zl}\\p{Zp}]";

/** Matches one unsafe code point; compiled on first use. */
let unsafeCodePoint: RegExp | undefined;

/**
 * What is known about each BMP code point: 0 not yet looked at, 1 safe to
 * print, 2 must be escaped. Allocated on first use and filled lazily, so the
 * Unicode property regex runs at most once per code point.
 */
let bmpVerdicts: Uint8Array | undefined;

function testUnsafe(text: string): boolean {
  unsafeCodePoint ??= new RegExp(UNSAFE_SOURCE, "u");
  return unsafeCodePoint.test(text);
}

/**
 * Whether a code point of U+0080 or above must be escaped: a control
 * (`Cc`, C1 included), format character (`Cf`: bidi controls, zero-width
 * characters), private use (`Co`), unassigned or noncharacter (`Cn`),
 * surrogate (`Cs`), or line or paragraph separator (`Zl`, `Zp`).
 */
export function isUnsafe(codePoint: number): boolean {
  if (codePoint <= 0x9f) return true; // C1 controls
  if (codePoint > 0xffff) return testUnsafe(String.fromCodePoint(codePoint));
  const verdicts = bmpVerdicts ??= new Uint8Array(0x10000);
  let verdict = verdicts[codePoint];
  if (verdict === 0) {
    verdict = testUnsafe(String.fromCharCode(codePoint)) ? 2 : 1;
    verdicts[codePoint] = verdict;
  }
  return verdict === 2;
}
