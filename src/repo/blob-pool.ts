/**
 * Hashing and sealing of the blobs a backup stores, in the addon on the libuv pool (native-seal.ts): no
 * worker threads, no copy of the data to another thread. Small files are also read there, in batches.
 */
import { availableParallelism } from 'node:os';
import { addon } from '../core/addon.js';
import { Semaphore } from '../core/semaphore.js';
import type { RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import type { SealResult, TaskKeys } from './blob-task.js';
import { hashBlobs, sealBlobs, type BlobBytes, type HeldBytes, type SealInput } from './native-seal.js';
import { nativeKeys } from './native-open.js';
import { resealBlobs, type ResealInput, type Resealed } from './native-reseal.js';
import { MiB } from '../core/sizes.js';

export type { SealResult } from './blob-task.js';

/** Read a whole (small) file and seal it as one blob. */
export interface FileRequest {
  readonly path: Buffer;
  /** zstd level, false for raw (unless the data is mostly zeros), or 'try' to compress and keep the result. */
  readonly level: number | false | 'try';
  /** The level for 'try' and for data that is mostly zeros; false keeps those raw too (compression off). */
  readonly tryLevel: number | false;
  /** Files that grew to this size since they were listed are not read here (undefined is returned). */
  readonly maxSize: number;
}

export interface FileResult extends SealResult {
  /** Whether zstd was tried on it (evidence for the compression policy). */
  readonly attempted: boolean;
}

export interface BlobPool {
  /** `data` must not change until the promise settles (it is read where it lies). */
  hash(data: BlobBytes): Promise<BlobId>;
  /** The same holds for `req.data`. */
  seal(req: SealInput): Promise<SealResult>;
  /** Several blobs in one job. */
  hashMany(data: readonly BlobBytes[]): Promise<BlobId[]>;
  sealMany(reqs: readonly SealInput[]): Promise<SealResult[]>;
  /** Another repository's stored blobs (opened with `srcKeys`, see nativeKeys) sealed with this pool's keys, in one job; per blob, it or its error. */
  resealMany(srcKeys: Uint8Array, blobs: readonly ResealInput[]): Promise<(Resealed | RozenError)[]>;
  /** Read and seal a small file (batched with others); undefined when it grew past maxSize. */
  file(req: FileRequest, size?: number): Promise<FileResult | undefined>;
}

/** Per path: its bytes held in the addon, null when larger than maxSize, or the error reading it. */
type ReadFiles = (paths: readonly Buffer[], maxSize: number) => Promise<(HeldBytes | null | Error)[]>;

/** Files per native read call: one pool hop for several files, several calls in flight. */
const READS_PER_CALL = 4;
const BATCH_FILES = 16;
const BATCH_BYTES = MiB;

/**
 * Hashing and sealing jobs on the pool at once. More would only share the same cores, while each keeps a
 * zstd context (grown to the largest blob it compressed) and its output alive, and holds back the reads.
 */
const CPU_JOBS = Number(process.env['ROZEN_CPU_JOBS'] ?? availableParallelism());

export function createBlobPool(keys: TaskKeys): BlobPool {
  const k = nativeKeys(keys.encKey, keys.idKey);
  const cpu = new Semaphore(CPU_JOBS);
  const limited = async <T>(job: () => Promise<T>): Promise<T> => {
    const w = await cpu.acquire(1);
    try {
      return await job();
    } finally {
      cpu.release(w);
    }
  };
  const readFiles = (addon() as { readFiles: ReadFiles }).readFiles;
  /** A batch of files: read in groups of READS_PER_CALL (several calls in flight), then sealed in one job. */
  const batch = async (files: readonly FileRequest[]): Promise<(FileResult | undefined | Error)[]> => {
    const groups: FileRequest[][] = [];
    for (let i = 0; i < files.length; i += READS_PER_CALL) groups.push(files.slice(i, i + READS_PER_CALL));
    const read = (
      await Promise.all(
        groups.map((g) =>
          readFiles(
            g.map((f) => f.path),
            Math.min(...g.map((f) => f.maxSize)),
          ),
        ),
      )
    ).flat();
    const inputs: SealInput[] = [];
    const at: number[] = [];
    read.forEach((bytes, i) => {
      if (bytes === null || bytes instanceof Error) return;
      const f = files[i]!;
      const level = f.level === 'try' || (f.level === false && bytes.mostlyZeros) ? f.tryLevel : f.level;
      at[i] = inputs.push({ data: bytes, level }) - 1;
    });
    const sealed = inputs.length > 0 ? await limited(() => sealBlobs(k, inputs)) : [];
    return read.map((bytes, i) => {
      if (bytes === null || bytes instanceof Error) return bytes ?? undefined;
      return { ...sealed[at[i]!]!, attempted: inputs[at[i]!]!.level !== false };
    });
  };
  return {
    hash: async (data) => (await limited(() => hashBlobs(k, [data])))[0]!,
    seal: async (req) => (await limited(() => sealBlobs(k, [req])))[0]!,
    hashMany: (data) => limited(() => hashBlobs(k, data)),
    sealMany: (reqs) => limited(() => sealBlobs(k, reqs)),
    resealMany: (srcKeys, blobs) => limited(() => resealBlobs(srcKeys, k, blobs)),
    file: fileBatcher(batch),
  };
}

/** Collects file requests made in the same turn of the event loop (up to 16 files or 1 MiB) into one batch. */
function fileBatcher(send: (files: FileRequest[]) => Promise<(FileResult | undefined | Error)[]>): BlobPool['file'] {
  let batch: { req: FileRequest; resolve: (r: FileResult | undefined) => void; reject: (e: unknown) => void }[] = [];
  let bytes = 0;
  const flush = (): void => {
    const items = batch;
    batch = [];
    bytes = 0;
    if (items.length === 0) return;
    send(items.map((i) => i.req)).then(
      (results) =>
        items.forEach((item, k) => {
          const r = results[k];
          if (r instanceof Error) item.reject(r);
          else item.resolve(r);
        }),
      (err: unknown) => items.forEach((item) => item.reject(err)),
    );
  };
  return (req, size = 0) =>
    new Promise((resolve, reject) => {
      if (batch.length === 0) setImmediate(flush);
      batch.push({ req, resolve, reject });
      bytes += size;
      if (batch.length >= BATCH_FILES || bytes >= BATCH_BYTES) flush();
    });
}
