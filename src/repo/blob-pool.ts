/** Hashing, sealing and opening of blobs on all cores (see task-pool.ts). */
import type { BlobId } from '../core/ids.js';
import { BlobTasks, type BlobRequest, type OpenRequest, type SealRequest, type SealResult, type TaskKeys } from './blob-task.js';
import { createTaskPool, portable } from './task-pool.js';

export interface BlobPool {
  hash(data: Uint8Array): Promise<BlobId>;
  seal(req: Omit<SealRequest, 'op'>): Promise<SealResult>;
  open(req: Omit<OpenRequest, 'op'>): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function createBlobPool(keys: TaskKeys, threads?: number): BlobPool {
  const workerData = { encKey: keys.encKey, idKey: keys.idKey };
  const pool = createTaskPool<BlobRequest, unknown>(new URL('./blob-worker.js', import.meta.url), workerData, () => {
    const tasks = new BlobTasks(keys);
    return (req) => tasks.run(req);
  }, threads);
  return {
    hash(data) {
      const p = portable(data);
      return pool.run({ op: 'hash', data: p.data }, p.transferList) as Promise<BlobId>;
    },
    seal(req) {
      const p = portable(req.data);
      return pool.run({ op: 'seal', ...req, data: p.data }, p.transferList) as Promise<SealResult>;
    },
    async open(req) {
      const p = portable(req.sealed);
      return new Uint8Array((await pool.run({ op: 'open', ...req, sealed: p.data }, p.transferList)) as Uint8Array);
    },
    close: () => pool.close(),
  };
}
