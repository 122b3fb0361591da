// Private: the chunks of a read as one byte array. One chunk (a greeting,
// a datagram) is the common case: it is returned as it is, and
// `@std/bytes`'s `concat` is loaded only for more (a one-shot tool's
// start-up pays for every module, and a JSR package more).

/** `chunks` as one array: empty, the one chunk itself, or their `concat`. */
export async function joinChunks(
  chunks: readonly Uint8Array[],
): Promise<Uint8Array> {
  if (chunks.length === 0) return new Uint8Array(0);
  if (chunks.length === 1) return chunks[0]!;
  const { concat } = await import("@std/bytes/concat");
  return concat(chunks);
}
