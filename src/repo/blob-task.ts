/** The CPU work of storing blobs (read small files, hash, compress, seal), run in workers. */
import { blobIdBytes, blobIdOf } from '../crypto/blob-id.js';
import { Sealer } from '../crypto/sealer.js';
import { addon } from '../core/addon.js';
import { encodeFrame } from '../codec/frame.js';
import { mostlyZeros } from '../codec/policy.js';
import type { BlobId } from '../core/ids.js';
import { nativeKeys } from './native-open.js';

export interface TaskKeys {
  readonly encKey: Uint8Array;
  readonly idKey: Uint8Array;
}

export interface HashRequest {
  readonly op: 'hash';
  readonly data: Uint8Array;
}

export interface SealRequest {
  readonly op: 'seal';
  readonly data: Uint8Array;
  /** zstd level, or false to store raw. */
  readonly level: number | false;
  /** Known id (from an earlier hash), else computed. */
  readonly id?: BlobId;
}

/** Read a whole (small) file and seal it as one blob; the worker reads it so the bytes never cross threads. */
export interface FileRequest {
  readonly path: Buffer;
  /** zstd level, false for raw (unless the data is mostly zeros), or 'try' to compress and keep the result. */
  readonly level: number | false | 'try';
  readonly tryLevel: number;
  /** Files that grew to this size since they were listed are not read here (undefined is returned). */
  readonly maxSize: number;
}

/** Several small files in one message: per-message costs dominate for files of a few KiB. */
export interface FilesRequest {
  readonly op: 'files';
  readonly files: readonly FileRequest[];
}

/** Per file: its result, undefined (grew too large), or the error message of a failed read. */
export type FilesResult = (FileResult | undefined | { readonly error: string; readonly code?: string })[];

export interface FileResult extends SealResult {
  /** Whether zstd was tried on it (evidence for the compression policy). */
  readonly attempted: boolean;
}

export type BlobRequest = HashRequest | SealRequest | FilesRequest;

export interface SealResult {
  readonly id: BlobId;
  readonly sealed: Uint8Array;
  readonly rawLength: number;
  /** Length of the frame before sealing (compressed size + 1), for the codec's statistics. */
  readonly framed: number;
}

type ReadFiles = (paths: readonly Buffer[], maxSize: number) => Promise<(Buffer | null | Error)[]>;

let nativeReadFiles: ReadFiles | undefined;

/** The addon's batched reader (src/native/read_files.c). */
function readFiles(paths: readonly Buffer[], maxSize: number): ReturnType<ReadFiles> {
  nativeReadFiles ??= (addon() as { readFiles: ReadFiles }).readFiles;
  return nativeReadFiles(paths, maxSize);
}

const READS_PER_CALL = 4;

function failure(err: Error): { error: string; code?: string } {
  const code = (err as NodeJS.ErrnoException).code;
  return { error: err.message, ...(code !== undefined && { code }) };
}

/** Runs blob requests with one pair of keys. Pure and synchronous: usable inline or in a worker. */
export class BlobTasks {
  readonly #sealer: Sealer;
  readonly #idKey: Uint8Array;
  /** Both keys as the addon's blob opener takes them (native-open.ts). */
  readonly nativeKeys: Uint8Array;

  constructor(keys: TaskKeys) {
    this.#sealer = new Sealer(keys.encKey);
    this.#idKey = Uint8Array.from(keys.idKey);
    this.nativeKeys = nativeKeys(keys.encKey, keys.idKey);
  }

  hash(data: Uint8Array): BlobId {
    return blobIdOf(this.#idKey, data);
  }

  seal(req: SealRequest): SealResult {
    const id = req.id ?? this.hash(req.data);
    const frame = encodeFrame(req.data, req.level);
    return { id, sealed: this.#sealer.seal(frame, blobIdBytes(id)), rawLength: req.data.length, framed: frame.length };
  }

  /** Seals one small file's bytes as read by the addon (undefined: it grew past maxSize). */
  #sealFile(req: FileRequest, bytes: Buffer | null): FileResult | undefined {
    if (bytes === null) return undefined;
    const level = req.level === 'try' ? req.tryLevel : req.level === false && mostlyZeros(bytes.subarray(0, 65536)) ? req.tryLevel : req.level;
    return { ...this.seal({ op: 'seal', data: bytes, level }), attempted: level !== false };
  }

  /**
   * Reads the files with the addon on the thread pool, READS_PER_CALL per call (one pool hop for
   * several files, and several calls in flight), sealing each group as its reads complete.
   */
  async files(req: FilesRequest): Promise<FilesResult> {
    const groups: FileRequest[][] = [];
    for (let i = 0; i < req.files.length; i += READS_PER_CALL) groups.push(req.files.slice(i, i + READS_PER_CALL));
    const sealed = await Promise.all(groups.map(async (group) => {
      const maxSize = Math.min(...group.map((f) => f.maxSize));
      const read = await readFiles(group.map((f) => f.path), maxSize);
      return group.map((f, i) => {
        const r = read[i]!;
        if (r instanceof Error) return failure(r);
        try {
          return this.#sealFile(f, r);
        } catch (err) {
          return failure(err as Error);
        }
      });
    }));
    return sealed.flat();
  }

  run(req: BlobRequest): BlobId | SealResult | Promise<FilesResult> {
    switch (req.op) {
      case 'files':
        return this.files(req);
      case 'hash':
        return this.hash(req.data);
      case 'seal':
        return this.seal(req);
    }
  }
}
