/** copy's resume point: chunks taken over from an earlier version plus chunking resumed there equal chunking afresh. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { Chunker } from '../../src/cas/chunker.js';
import { gearTable } from '../../src/cas/gear.js';
import type { BlobId } from '../../src/core/ids.js';
import { resumePoint, type LargeCopy } from '../../src/lifecycle/copy-resume.js';

const params = { min: 256, avg: 1024, max: 4096 };
const gear = gearTable(new Uint8Array(32).fill(3));
const idOf = (b: Uint8Array): BlobId => createHash('sha256').update(b).digest('hex') as BlobId;

/** The chunks of the stream `blobs` (from `skip` bytes into the first), as buffers. */
function chunk(blobs: readonly Uint8Array[], skip = 0): Buffer[] {
  const c = new Chunker(params, gear);
  const out: Buffer[] = [];
  blobs.forEach((b, i) => out.push(...c.push(i === 0 ? b.subarray(skip) : b).map((x) => Buffer.from(x))));
  const last = c.finish();
  if (last) out.push(Buffer.from(last));
  return out;
}

/** `data` cut into source blobs at `cuts` (sorted offsets inside it). */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [0, ...cuts.filter((c) => c > 0 && c < data.length), data.length];
  return at
    .slice(1)
    .map((end, i) => data.subarray(at[i], end))
    .filter((b) => b.length > 0);
}

t.test('taken-over chunks and resumed chunking give exactly the chunks of the new version', async (t) => {
  const arb = fc.record({
    old: fc.uint8Array({ minLength: 1, maxLength: 40_000 }),
    cuts: fc.array(fc.nat(40_000), { maxLength: 12 }),
    at: fc.nat(40_000),
    insert: fc.uint8Array({ maxLength: 3000 }),
    drop: fc.nat(2000),
    newCuts: fc.array(fc.nat(45_000), { maxLength: 12 }),
  });
  fc.assert(
    fc.property(arb, ({ old, cuts, at, insert, drop, newCuts }) => {
      const oldBlobs = split(
        old,
        [...new Set(cuts)].sort((a, b) => a - b),
      );
      const pos = Math.min(at, old.length);
      const fresh = Buffer.concat([old.subarray(0, pos), insert, old.subarray(Math.min(old.length, pos + drop))]);
      // The new version keeps the old source blobs that lie wholly before the change, as a chunked backup would.
      const kept: Uint8Array[] = [];
      let end = 0;
      for (const b of oldBlobs) {
        if (end + b.length > pos) break;
        kept.push(b);
        end += b.length;
      }
      const rest = fresh.subarray(end);
      const newBlobs = [
        ...kept,
        ...split(
          rest,
          [...new Set(newCuts)].sort((a, b) => a - b),
        ),
      ];
      const prevChunks = chunk(oldBlobs);
      const prev: LargeCopy = {
        srcIds: oldBlobs.map(idOf),
        srcLengths: oldBlobs.map((b) => b.length),
        dst: { content: prevChunks.map(idOf), sizes: prevChunks.map((c) => c.length) },
      };
      const r = resumePoint(newBlobs.map(idOf), prev);
      t.same(
        r.lengths,
        newBlobs.slice(0, r.blob).map((b) => b.length),
      );
      const resumed = [...prevChunks.slice(0, r.chunks), ...chunk(newBlobs.slice(r.blob), r.skip)];
      const expected = chunk(newBlobs);
      return resumed.length === expected.length && resumed.every((c, i) => c.equals(expected[i] ?? Buffer.alloc(0)));
    }),
    { numRuns: 300 },
  );
});

t.test('no earlier copy: start at the beginning', async (t) => {
  t.same(resumePoint(['a' as BlobId], undefined), { chunks: 0, blob: 0, skip: 0, lengths: [] });
});
