/** What a copied file's content becomes in the destination. */
import type { BlobId } from '../core/ids.js';

/** A file's content in the destination: its blob ids and their plaintext sizes (FORMAT §9.2 `c`, `cs`). */
export interface Content {
  readonly content: readonly BlobId[];
  readonly sizes: readonly number[];
}
