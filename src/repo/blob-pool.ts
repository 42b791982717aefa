/** A pool of workers running BlobTasks on all cores, or inline when workers are unavailable. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { BlobId } from '../core/ids.js';
import { BlobTasks, type OpenRequest, type SealRequest, type SealResult, type TaskKeys } from './blob-task.js';

export interface BlobPool {
  hash(data: Uint8Array): Promise<BlobId>;
  seal(req: Omit<SealRequest, 'op'>): Promise<SealResult>;
  open(req: Omit<OpenRequest, 'op'>): Promise<Uint8Array>;
  close(): Promise<void>;
}

class InlinePool implements BlobPool {
  readonly #tasks: BlobTasks;
  constructor(keys: TaskKeys) {
    this.#tasks = new BlobTasks(keys);
  }
  async hash(data: Uint8Array): Promise<BlobId> {
    return this.#tasks.hash(data);
  }
  async seal(req: Omit<SealRequest, 'op'>): Promise<SealResult> {
    return this.#tasks.seal({ op: 'seal', ...req });
  }
  async open(req: Omit<OpenRequest, 'op'>): Promise<Uint8Array> {
    return this.#tasks.open({ op: 'open', ...req });
  }
  async close(): Promise<void> {}
}

class WorkerPool implements BlobPool {
  readonly #pool: Piscina;
  constructor(filename: string, keys: TaskKeys, threads: number) {
    this.#pool = new Piscina({
      filename,
      workerData: { encKey: keys.encKey, idKey: keys.idKey },
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }
  hash(data: Uint8Array): Promise<BlobId> {
    return this.#pool.run({ op: 'hash', data });
  }
  seal(req: Omit<SealRequest, 'op'>): Promise<SealResult> {
    return this.#pool.run({ op: 'seal', ...req });
  }
  async open(req: Omit<OpenRequest, 'op'>): Promise<Uint8Array> {
    return new Uint8Array(await this.#pool.run({ op: 'open', ...req }));
  }
  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

/** Workers when the compiled worker file exists (running from dist/), inline otherwise or when ROZEN_WORKERS=0. */
export function createBlobPool(keys: TaskKeys, threads = availableParallelism()): BlobPool {
  const filename = fileURLToPath(new URL('./blob-worker.js', import.meta.url));
  const wanted = Number(process.env['ROZEN_WORKERS'] ?? threads);
  if (wanted <= 0 || !existsSync(filename)) return new InlinePool(keys);
  return new WorkerPool(filename, keys, wanted);
}
