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
