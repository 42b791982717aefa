/** Snapshots, trees and blobs of an opened repository, as the mount consumes them. */
import type { BlobId, SnapshotId } from '../core/ids.js';
import type { Repository } from '../repo/repository.js';
import { createBlobPool, type BlobPool } from '../repo/blob-pool.js';
import { listSnapshotIds, loadSnapshot } from '../repo/snapshots.js';
import { WindowReader } from '../repo/window-reader.js';
import type { Node } from './node.js';
import type { Snapshot } from '../core/snapshot.js';
import { decodeTree } from './fs/tree-codec.js';

export class RepoSnapshotSource {
  readonly #repo: Repository;
  readonly #known = new Map<SnapshotId, Snapshot>();

  readonly #windows: WindowReader;
  readonly #pool: BlobPool;

  constructor(repo: Repository) {
    this.#repo = repo;
    this.#windows = new WindowReader(repo.backend, repo.index);
    this.#pool = createBlobPool({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  }

  /** Ranged GETs issued for blobs (each one a window of a pack). */
  get gets(): number {
    return this.#windows.gets;
  }

  close(): Promise<void> {
    return this.#pool.close();
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

  async loadTree(id: BlobId): Promise<readonly Node[]> {
    return decodeTree(await this.readBlob(id));
  }

  /** Through a pack window (one GET serves a whole small pack), authenticated and verified in a worker. */
  async readBlob(id: BlobId): Promise<Uint8Array> {
    const loc = await this.#repo.locate(id);
    const sealed = await this.#windows.read(loc);
    return this.#pool.open({ id, sealed, rawLength: loc.rawLength });
  }
}
