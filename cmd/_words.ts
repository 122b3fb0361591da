// Private to cmd/: small wording helpers of the tools' messages.

/** A duration for a message: `1 second`, `0.5 seconds`. */
export function seconds(ms: number): string {
  const n = ms / 1000;
  return `${n} second${n === 1 ? "" : "s"}`;
}

/** The first letter in lower case: sentence-case messages after `tool: `. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
