/** Branded identifiers: 32-byte ids carried as 64-character lowercase hex strings. */

export type BlobId = string & { readonly __brand: 'BlobId' };
export type PackId = string & { readonly __brand: 'PackId' };
export type SnapshotId = string & { readonly __brand: 'SnapshotId' };

export const ID_BYTES = 32;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const HEX_ID = /^[0-9a-f]{64}$/;
export const isHexId = (s: string): boolean => HEX_ID.test(s);

/** Hex digits of an id shown to people (snapshots, keys, locks) and used in the mount's ids/ directory. */
export const SHORT_ID_LENGTH = 8;
export const shortId = (id: string): string => id.slice(0, SHORT_ID_LENGTH);
