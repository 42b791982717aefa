/** Snapshots, trees and blobs of an opened repository, as the mount consumes them. */
import type { BlobId, SnapshotId } from '../core/ids.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshotIds, loadSnapshot } from '../repo/snapshots.js';
import type { Node } from './node.js';
import type { Snapshot } from './snapshot.js';
import { loadTree } from './trees.js';

export class RepoSnapshotSource {
  readonly #repo: Repository;
  readonly #known = new Map<SnapshotId, Snapshot>();

  constructor(repo: Repository) {
    this.#repo = repo;
  }

  /** Lists snapshot ids and loads only the records not seen before. */
  async listSnapshots(): Promise<Snapshot[]> {
    const ids = await listSnapshotIds(this.#repo);
    const present = new Set(ids);
    for (const id of this.#known.keys()) if (!present.has(id)) this.#known.delete(id);
    const fresh = ids.filter((id) => !this.#known.has(id));
    if (fresh.length > 0) await this.#repo.index.refresh();
    for (const s of await Promise.all(fresh.map((id) => loadSnapshot(this.#repo, id)))) this.#known.set(s.id, s);
    return [...this.#known.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  loadTree(id: BlobId): Promise<readonly Node[]> {
    return loadTree(this.#repo, id);
  }

  readBlob(id: BlobId): Promise<Uint8Array> {
    return this.#repo.loadBlob(id);
  }
}
