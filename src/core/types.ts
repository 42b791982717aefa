/** Shared plain types of the storage core (no logic). */
import type { BlobId, PackId } from './ids.js';

/** `T` with its readonly fields writable: for building an object field by field before handing it out. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A byte range of a stored object. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Blob types, with their stable on-disk numbers (docs/FORMAT.md). */
export const BlobType = { data: 0, tree: 1 } as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

/** Pack kinds, with their stable on-disk numbers (docs/FORMAT.md). */
export const PackKind = { normal: 0, degenerate: 1, tree: 2 } as const;
export type PackKind = (typeof PackKind)[keyof typeof PackKind];

/** Where one blob lives: what the index maps a BlobId to. */
export interface BlobLocation {
  readonly pack: PackId;
  readonly type: BlobType;
  /** Byte offset of the sealed blob inside the pack. */
  readonly offset: number;
  /** Length of the sealed blob as stored. */
  readonly length: number;
  /** Length of the plaintext after decompression. */
  readonly rawLength: number;
}

export interface IndexedBlob extends BlobLocation {
  readonly id: BlobId;
}

/** Everything one index record says about one pack. */
export interface PackDescription {
  readonly id: PackId;
  readonly kind: PackKind;
  readonly size: number;
  readonly blobs: readonly Omit<IndexedBlob, 'pack'>[];
}
