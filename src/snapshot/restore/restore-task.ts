/** The per-blob work of a restore, run in worker threads: open the sealed blob, write it to its files, finish small files. */
import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import type { BlobId } from '../../core/ids.js';
import type { TaskKeys } from '../../repo/blob-task.js';
import { nativeKeys, openEach } from '../../repo/native-open.js';
import { applyMetadata } from '../fs/restore-meta.js';
import type { ScannedNode } from '../fs/scan.js';
import { writeAllSync, writeSparseSync } from '../fs/sparse.js';
import { createFileSync } from './create-file.js';

export interface WriteTarget {
  readonly path: Buffer;
  readonly offset: number;
  /** Create (truncate) the file first: set for files made of this one blob. */
  readonly create: boolean;
  readonly sparse: boolean;
  /** For files made of this one blob: size to set and metadata to apply once written. */
  readonly node?: ScannedNode;
}

export interface RestoreBlob {
  readonly id: BlobId;
  /** Where the sealed blob lies in the batch's bytes. */
  readonly at: number;
  readonly length: number;
  readonly rawLength: number;
  readonly targets: readonly WriteTarget[];
}

/** Neighbouring blobs of one pack in one message: per-message costs dominate for small files. */
export interface RestoreBatchRequest {
  readonly sealed: Uint8Array;
  readonly blobs: readonly RestoreBlob[];
  readonly numericOwner: boolean;
}

export interface RestoreBlobResult {
  /** Set when the blob could not be authenticated or decoded: none of its targets were written. */
  readonly error?: string;
  readonly written: number;
  readonly warnings: readonly (readonly [path: string, message: string])[];
}

const REOPEN = constants.O_WRONLY | constants.O_NOFOLLOW;

export class RestoreTasks {
  readonly #keys: Uint8Array;

  constructor(keys: TaskKeys) {
    this.#keys = nativeKeys(keys.encKey, keys.idKey);
  }

  /** One result per blob, in order. The batch is opened in one call to the addon, each blob on its own. */
  async run(req: RestoreBatchRequest): Promise<RestoreBlobResult[]> {
    const { plain, problems } = openEach(this.#keys, req.sealed, req.blobs);
    const out: RestoreBlobResult[] = [];
    let at = 0;
    for (const [i, b] of req.blobs.entries()) {
      const error = problems[i] as string;
      const data = plain.subarray(at, (at += b.rawLength));
      out.push(error === '' ? await this.#write(b, data, req.numericOwner) : { error, written: 0, warnings: [] });
    }
    return out;
  }

  async #write(req: RestoreBlob, plain: Uint8Array, numericOwner: boolean): Promise<RestoreBlobResult> {
    const warnings: [string, string][] = [];
    let written = 0;
    for (const t of req.targets) {
      const fd = t.create ? createFileSync(t.path) : openSync(t.path, REOPEN);
      try {
        if (t.sparse) writeSparseSync(fd, plain, t.offset);
        else writeAllSync(fd, plain, t.offset);
        if (t.node && t.sparse) ftruncateSync(fd, t.node.size);
      } finally {
        closeSync(fd);
      }
      written += plain.length;
      if (t.node) {
        await applyMetadata(t.path, t.node, {
          numericOwner,
          onWarning: (p, m) => warnings.push([p.toString(), m]),
        });
      }
    }
    return { written, warnings };
  }
}
