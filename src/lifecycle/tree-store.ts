/** Storing rewritten tree blobs (repair snapshots, rewrite): sealed here, saved once, skipped when already stored. */
import type { BlobId } from '../core/ids.js';
import { BlobType } from '../core/types.js';
import { BlobSaver } from '../repo/blob-saver.js';
import { BlobTasks } from '../repo/blob-task.js';
import type { Repository } from '../repo/repository.js';
import { encodeTree } from '../snapshot/fs/tree-codec.js';
import type { Node } from '../snapshot/node.js';

export class TreeStore {
  readonly #tasks: BlobTasks;

  /** Without a saver (a dry run) trees are only hashed; `known` says whether an id is stored already. */
  constructor(
    repo: Repository,
    private readonly saver: BlobSaver | undefined,
    private readonly known: (id: BlobId) => boolean | Promise<boolean>,
  ) {
    this.#tasks = new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  }

  /** The id of the listing `nodes`, stored unless it is there already. */
  async store(nodes: readonly Node[]): Promise<BlobId> {
    const r = this.#tasks.seal({ op: 'seal', data: encodeTree(nodes), level: 3 });
    if (this.saver && !(await this.known(r.id)) && !(await this.saver.has(r.id))) {
      await this.saver.saveSmall(BlobType.tree, r.id, r.sealed, r.rawLength);
    }
    return r.id;
  }
}
