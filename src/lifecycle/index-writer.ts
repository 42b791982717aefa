/** Writes a complete set of index files for a list of packs, a bounded number of blobs per file. */
import type { Backend } from '../backend/backend.js';
import { writeIndexFile } from '../cas/index-file.js';
import type { Sealer } from '../cas/sealer.js';
import type { PackDescription } from '../core/types.js';

/** Blob entries per index file: about 5 MB of index body. */
export const BLOBS_PER_INDEX_FILE = 100_000;

/** Returns the ids of the written files; every pack must already be durable. */
export async function writeIndexSet(
  backend: Backend, sealer: Sealer, packs: readonly PackDescription[], perFile = BLOBS_PER_INDEX_FILE,
): Promise<string[]> {
  const ids: string[] = [];
  let batch: PackDescription[] = [];
  let blobs = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    ids.push(await writeIndexFile(backend, sealer, batch));
    batch = [];
    blobs = 0;
  };
  for (const pack of packs) {
    if (blobs > 0 && blobs + pack.blobs.length > perFile) await flush();
    batch.push(pack);
    blobs += pack.blobs.length;
  }
  await flush();
  return ids;
}
