/** Writes a complete set of index files for a list of packs, a bounded number of blobs per file. */
import type { Backend } from '../backend/backend.js';
import { INDEX_FILE_BLOBS, batchPacks, writeIndexFile } from '../cas/index-file.js';
import type { Sealer } from '../cas/sealer-interface.js';
import type { IndexPack } from '../cas/index-body.js';

/** Blob entries per index file (unless one pack has more): about 5 MB of index body. */
export const BLOBS_PER_INDEX_FILE = INDEX_FILE_BLOBS;

/** Returns the ids of the written files; every pack must already be durable. `packs` are taken one file's worth at a time. */
export async function writeIndexSet(
  backend: Backend,
  sealer: Sealer,
  packs: Iterable<IndexPack>,
  perFile = BLOBS_PER_INDEX_FILE,
): Promise<string[]> {
  const ids: string[] = [];
  for (const batch of batchPacks(packs, perFile)) ids.push(await writeIndexFile(backend, sealer, batch));
  return ids;
}
