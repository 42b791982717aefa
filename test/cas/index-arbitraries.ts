/** fast-check generators and fixtures of pack descriptions for the index tests. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { BlobId, PackId } from '../../src/core/ids.js';
import type { PackDescription } from '../../src/core/types.js';

export const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

const blobArb = fc.record({
  id: hexId.map((s) => s as BlobId),
  type: fc.constantFrom(0 as const, 1 as const),
  offset: fc.integer({ min: 0, max: 2 ** 40 }),
  length: fc.nat({ max: 0xffff_ffff }),
  rawLength: fc.nat({ max: 0xffff_ffff }),
});

export const packArb: fc.Arbitrary<PackDescription> = fc
  .record({
    id: hexId.map((s) => s as PackId),
    kind: fc.constantFrom(0 as const, 1 as const, 2 as const),
    blobs: fc.array(blobArb, { maxLength: 8 }),
    slack: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ id, kind, blobs, slack }) => ({
    id,
    kind,
    size: Math.max(0, ...blobs.map((b) => b.offset + b.length)) + slack,
    blobs,
  }));

export const packsArb = fc.uniqueArray(packArb, { maxLength: 6, selector: (p) => p.id });

export const randomId = <T extends string>(): T => randomBytes(32).toString('hex') as T;

/** A pack of `n` contiguous blobs with random ids. */
export function makePack(n: number, kind: 0 | 1 | 2 = 0): PackDescription {
  const blobs: PackDescription['blobs'] = Array.from({ length: n }, (_, i) => ({
    id: randomId<BlobId>(),
    type: kind === 2 ? 1 : 0,
    offset: i * 100,
    length: 100,
    rawLength: 90 + i,
  }));
  return { id: randomId<PackId>(), kind, size: n * 100 + 50, blobs };
}
