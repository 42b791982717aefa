/** Blob plaintexts for property tests of sealing and opening: random bytes, compressible text and runs of one byte. */
import fc from 'fast-check';

export const blobData = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.string({ maxLength: 5000 }).map((s) => Buffer.from(s.repeat(3))),
  fc.integer({ min: 0, max: 300_000 }).map((n) => Buffer.alloc(n, n % 251)),
);
