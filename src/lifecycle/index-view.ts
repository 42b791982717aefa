/** The index as the repository's index files state it, read fresh (never from the local cache). */
import { forEachLimited } from '../repo/for-each-limited.js';
import type { Backend } from '../backend/backend.js';
import { INDEX_PREFIX, readIndexFile } from '../cas/index-file.js';
import type { Sealer } from '../cas/sealer.js';
import { isHexId, type BlobId, type PackId } from '../core/ids.js';
import type { BlobLocation, PackDescription } from '../core/types.js';

export interface IndexView {
  /** Index file id → the packs it lists (readable files only). */
  readonly files: ReadonlyMap<string, readonly PackDescription[]>;
  /** Every indexed pack (the first description met when a pack is listed twice). */
  readonly packs: ReadonlyMap<PackId, PackDescription>;
  /** Every location of every indexed blob. */
  readonly blobs: ReadonlyMap<BlobId, readonly BlobLocation[]>;
}

export interface LoadIndexOptions {
  /** Called for an index file that cannot be read; without it the error is thrown. */
  readonly onError?: (indexId: string, err: unknown) => void;
  /** Index files read at once. */
  readonly concurrency?: number;
}

export async function listIndexFileIds(backend: Backend): Promise<string[]> {
  const ids: string[] = [];
  for await (const { name } of backend.list(INDEX_PREFIX)) {
    const id = name.slice(INDEX_PREFIX.length);
    if (isHexId(id)) ids.push(id);
  }
  return ids.sort();
}

export async function loadIndexView(backend: Backend, sealer: Sealer, opts: LoadIndexOptions = {}): Promise<IndexView> {
  const ids = await listIndexFileIds(backend);
  const files = new Map<string, readonly PackDescription[]>();
  await forEachLimited(ids, opts.concurrency ?? 8, async (id) => {
    try {
      files.set(id, await readIndexFile(backend, sealer, id));
    } catch (err) {
      if (!opts.onError) throw err;
      opts.onError(id, err);
    }
  });
  return viewOf(files);
}

/** Builds the lookup maps from index files' contents (in id order, so results are deterministic). */
export function viewOf(files: ReadonlyMap<string, readonly PackDescription[]>): IndexView {
  const packs = new Map<PackId, PackDescription>();
  const blobs = new Map<BlobId, BlobLocation[]>();
  for (const id of [...files.keys()].sort()) {
    for (const pack of files.get(id) ?? []) {
      if (packs.has(pack.id)) continue;
      packs.set(pack.id, pack);
      for (const b of pack.blobs) {
        // A literal, not a spread: this runs for every blob of the repository.
        const loc = { pack: pack.id, type: b.type, offset: b.offset, length: b.length, rawLength: b.rawLength };
        const list = blobs.get(b.id);
        if (list) list.push(loc);
        else blobs.set(b.id, [loc]);
      }
    }
  }
  return { files, packs, blobs };
}

