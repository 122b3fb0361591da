// Private to lib/text/: the one rule for what must not reach a terminal as
// is, shared by the text escapes (escape.ts) and JSON lines (json_line.ts).

/** Matches one code point that must not reach a terminal as is. */
const UNSAFE_CODE_POINT = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * What is known about each BMP code point: 0 not yet looked at, 1 safe to
 * print, 2 must be escaped. Filled lazily so the Unicode property regex runs
 * at most once per code point.
 */
const bmpVerdicts = new Uint8Array(0x10000);

/**
 * Whether a code point of U+0080 or above must be escaped: a control
 * (`Cc`, C1 included), format character (`Cf`: bidi controls, zero-width
 * characters), private use (`Co`), unassigned or noncharacter (`Cn`),
 * surrogate (`Cs`), or line or paragraph separator (`Zl`, `Zp`).
 */
export function isUnsafe(codePoint: number): boolean {
  if (codePoint <= 0x9f) return true; // C1 controls
  if (codePoint > 0xffff) {
    return UNSAFE_CODE_POINT.test(String.fromCodePoint(codePoint));
  }
  let verdict = bmpVerdicts[codePoint];
  if (verdict === 0) {
    verdict = UNSAFE_CODE_POINT.test(String.fromCharCode(codePoint)) ? 2 : 1;
    bmpVerdicts[codePoint] = verdict;
  }
  return verdict === 2;
}
