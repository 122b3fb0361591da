// Private: the chunks of a read as one byte array. One chunk (a greeting,
// a datagram) is the common case: it is returned as it is, without a copy.

/** `chunks` as one array: empty, the one chunk itself, or a copy of all. */
export function joinChunks(
  chunks: readonly Uint8Array<ArrayBuffer>[],
): Uint8Array<ArrayBuffer>;
/** `chunks` as one array; one chunk is returned as it is, whatever its buffer. */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array;
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
