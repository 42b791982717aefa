/** Hashing, sealing and opening of blobs on all cores (see task-pool.ts). */
import type { BlobId } from '../core/ids.js';
import { BlobTasks, type BlobRequest, type FileRequest, type FileResult, type FilesResult, type SealRequest, type SealResult, type TaskKeys } from './blob-task.js';
import { createTaskPool, portable, type TaskPool } from './task-pool.js';

export interface BlobPool {
  hash(data: Uint8Array): Promise<BlobId>;
  seal(req: Omit<SealRequest, 'op'>): Promise<SealResult>;
  /** Read and seal a small file in a worker (batched with others); undefined when it grew past maxSize. */
  file(req: FileRequest, size?: number): Promise<FileResult | undefined>;
  /** Whether the workers were started (a lazy pool starts them on its first work for them). */
  readonly started: boolean;
  close(): Promise<void>;
}

export interface BlobPoolOptions {
  readonly threads?: number;
  /**
   * Start the workers only when work that needs them arrives; until then, seals of at most
   * 16 KiB (tree blobs) run on this thread. A re-backup that finds everything unchanged then
   * never spends CPU starting workers it does not use.
   */
  readonly lazy?: boolean;
}

/** Seals this small run inline while a lazy pool has not started. */
const INLINE_SEAL_BYTES = 16 * 1024;

export function createBlobPool(keys: TaskKeys, opts: BlobPoolOptions = {}): BlobPool {
  const workerData = { encKey: keys.encKey, idKey: keys.idKey };
  let started: TaskPool<BlobRequest, unknown> | undefined;
  const start = (): TaskPool<BlobRequest, unknown> => (started ??= createTaskPool<BlobRequest, unknown>(new URL('./blob-worker.js', import.meta.url), workerData, () => {
    const tasks = new BlobTasks(keys);
    return (req) => tasks.run(req);
  }, opts.threads, FILE_BATCHES_PER_WORKER));
  if (opts.lazy !== true) start();
  let inline: BlobTasks | undefined;
  const pool = { run: (req: BlobRequest, transferList?: ArrayBuffer[]): Promise<unknown> => start().run(req, transferList) };
  return {
    hash(data) {
      const p = portable(data);
      return pool.run({ op: 'hash', data: p.data }, p.transferList) as Promise<BlobId>;
    },
    async seal(req) {
      if (started === undefined && req.data.byteLength <= INLINE_SEAL_BYTES) {
        inline ??= new BlobTasks(keys);
        return (await inline.run({ op: 'seal', ...req })) as SealResult;
      }
      const p = portable(req.data);
      return pool.run({ op: 'seal', ...req, data: p.data }, p.transferList) as Promise<SealResult>;
    },
    file: fileBatcher((files) => pool.run({ op: 'files', files }) as Promise<FilesResult>),
    get started() {
      return started !== undefined;
    },
    close: () => started?.close() ?? Promise.resolve(),
  };
}

const BATCH_FILES = 16;
/** Batches a worker holds at once: it seals one while the reads of the others are in flight. */
const FILE_BATCHES_PER_WORKER = 4;
const BATCH_BYTES = 1024 * 1024;

/** Collects file requests made in the same turn of the event loop (up to 16 files or 1 MiB) into one message. */
function fileBatcher(send: (files: FileRequest[]) => Promise<FilesResult>): (req: FileRequest, size?: number) => Promise<FileResult | undefined> {
  let batch: { req: FileRequest; resolve: (r: FileResult | undefined) => void; reject: (e: unknown) => void }[] = [];
  let bytes = 0;
  const flush = (): void => {
    const items = batch;
    batch = [];
    bytes = 0;
    if (items.length === 0) return;
    send(items.map((i) => i.req)).then(
      (results) => items.forEach((item, k) => {
        const r = results[k];
        if (r && 'error' in r) item.reject(Object.assign(new Error(r.error), r.code !== undefined ? { code: r.code } : {}));
        else item.resolve(r);
      }),
      (err: unknown) => items.forEach((item) => item.reject(err)),
    );
  };
  return (req, size = 0) => new Promise((resolve, reject) => {
    if (batch.length === 0) setImmediate(flush);
    batch.push({ req, resolve, reject });
    bytes += size;
    if (batch.length >= BATCH_FILES || bytes >= BATCH_BYTES) flush();
  });
}
