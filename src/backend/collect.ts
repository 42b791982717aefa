/** Gathers a put source (bytes, pieces or a stream of chunks) into one byte array, for backends that hold objects whole. */
import type { PutSource } from './backend.js';

export async function collect(source: PutSource): Promise<Uint8Array> {
  // A copy (Buffer#slice would be a view of the caller's bytes).
  if (source instanceof Uint8Array) return new Uint8Array(source);
  if (isPieces(source)) return concatBytes(source);
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return concatBytes(chunks);
}

/** Whether a put source is given as pieces (an array), not a stream. */
export function isPieces(source: PutSource): source is readonly Uint8Array[] {
  return Array.isArray(source);
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
