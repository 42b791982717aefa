/** The object names the repository format defines (FORMAT §1); deletions remove only these, nothing else found there. */
import { RozenError } from '../core/errors.js';
import { deleteAll, type Backend } from './backend.js';

/** config; keys, locks, snapshots, index and tmp objects named by 64 hex digits; packs/<hh>/<id> with hh = id[0:2]. */
const FORMAT_NAME = /^(?:config|(?:keys|locks|snapshots|index|tmp)\/[0-9a-f]{64}|packs\/([0-9a-f]{2})\/\1[0-9a-f]{62})$/;

export const isFormatName = (name: string): boolean => FORMAT_NAME.test(name);

/** The one line that reports an object whose name the format does not define. */
export const unexpectedObject = (name: string): string =>
  `unexpected object ${name}: not a name the repository format defines; left in place`;

/** Deletes `names` as deleteAll does, after checking every one; a name the format does not define deletes nothing. */
export async function deleteFormatObjects(backend: Backend, names: readonly string[]): Promise<void> {
  const bad = names.find((n) => !isFormatName(n));
  if (bad !== undefined) throw new RozenError('CorruptData', unexpectedObject(bad));
  await deleteAll(backend, names);
}
