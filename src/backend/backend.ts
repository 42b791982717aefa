/** The one storage interface every backend implements: named objects, whole or by byte range. */
import type { ByteRange } from '../core/types.js';

export interface ObjectInfo {
  /** Name relative to the repository root, '/'-separated, e.g. "packs/ab/ab12…". */
  readonly name: string;
  readonly size: number;
  /** Last modification time in milliseconds since the epoch (0 if unknown). */
  readonly mtimeMs: number;
}

/** An object's bytes: whole, in pieces laid end to end (written without joining where the backend can), or a stream. */
export type PutSource = Uint8Array | readonly Uint8Array[] | AsyncIterable<Uint8Array>;

export interface Backend {
  /** Human-readable location (path or s3://bucket/prefix), never containing secrets. */
  readonly location: string;
  /** Every object whose name starts with `prefix` (e.g. "packs/"), in no particular order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Size and time of one object, or undefined when it does not exist. */
  stat(name: string): Promise<ObjectInfo | undefined>;
  /**
   * Whole object, or `range` of it. Throws RozenError NotFound when missing, CorruptData when short.
   * With a range and `into` (at least range.length bytes), a backend may read into `into` and return a
   * view of it, so a caller reading many ranges can reuse one buffer; use what is returned either way.
   */
  get(name: string, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * Store an object atomically: readers see either nothing or all of it. Overwrites.
   * A stream source is consumed once, without holding it whole in memory.
   */
  put(name: string, source: PutSource): Promise<void>;
  /** Rename an object (S3: server-side copy + delete). Atomic on local disk. */
  rename(from: string, to: string): Promise<void>;
  /** Delete an object; deleting a missing object is not an error. */
  delete(name: string): Promise<void>;
  /** Optional: delete several, durably by the time it resolves, cheaper than one by one. Use `deleteAll`. */
  deleteMany?(names: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Deletes `names` (missing ones are no error); all of them are gone, durably, when it resolves. */
export async function deleteAll(backend: Backend, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  if (backend.deleteMany) return backend.deleteMany(names);
  for (const name of names) await backend.delete(name);
}
