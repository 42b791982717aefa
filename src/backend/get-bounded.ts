/** Whole reads of objects the format keeps small: the size is checked before a byte is read or a buffer allocated. */
import { corrupt, notFound } from '../core/errors.js';
import { oneLine } from '../core/one-line.js';
import type { Backend } from './backend.js';

/**
 * All of `name`, or CorruptData when it is larger than `maxBytes`. The size is `size` when a listing gave it,
 * else a stat; exactly that many bytes are read, so an object that grew since is cut and fails its hash.
 */
export async function getBounded(backend: Backend, name: string, maxBytes: number, size?: number): Promise<Uint8Array> {
  const known = size ?? (await backend.stat(name))?.size;
  if (known === undefined) throw notFound(oneLine(name));
  if (known > maxBytes) throw corrupt(`${oneLine(name)} (${known} bytes, over the ${maxBytes} the format allows)`);
  return backend.get(name, { offset: 0, length: known });
}
