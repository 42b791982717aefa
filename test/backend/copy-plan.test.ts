import fc from 'fast-check';
import t from 'tap';
import { partLength, planCopyParts } from '../../src/backend/copy-plan.js';
import type { PlannedPart } from '../../src/backend/copy-plan.js';
import type { ByteRange } from '../../src/core/types.js';

const limits = { minPart: 100, maxCopyPart: 250 };

/** The source offsets a plan reads, in order, as [offset, length] runs. */
const flatten = (parts: readonly PlannedPart[]): ByteRange[] => parts.flatMap((p) => (p.kind === 'copy' ? [p.range] : p.pieces));

function merge(ranges: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (r.length === 0) continue;
    if (last && last.offset + last.length === r.offset) out[out.length - 1] = { offset: last.offset, length: last.length + r.length };
    else out.push({ ...r });
  }
  return out;
}

const rangesArb = fc.array(fc.record({ gap: fc.nat(300), length: fc.nat(400) }), { maxLength: 30 }).map((specs) => {
  let at = 0;
  return specs.map(({ gap, length }) => {
    const r = { offset: at + gap, length };
    at = r.offset + length;
    return r;
  });
});

t.test('plans cover the ranges exactly with valid part sizes', async (t) => {
  fc.assert(
    fc.property(rangesArb, (ranges) => {
      const parts = planCopyParts(ranges, limits);
      t.same(merge(flatten(parts)), merge(ranges));
      parts.forEach((p, i) => {
        const n = partLength(p);
        if (n === 0) throw new Error('empty part');
        if (i < parts.length - 1 && n < limits.minPart) throw new Error(`part ${i} too small: ${n}`);
        if (p.kind === 'copy' && n > limits.maxCopyPart) throw new Error(`copy part ${i} too large`);
        if (p.kind === 'upload' && n > limits.minPart) throw new Error(`upload part ${i} larger than needed`);
      });
      return true;
    }),
    { numRuns: 500 },
  );
});

t.test('large contiguous runs are copied, small scattered ones uploaded', async (t) => {
  t.same(planCopyParts([{ offset: 0, length: 300 }], limits), [
    { kind: 'copy', range: { offset: 0, length: 150 } },
    { kind: 'copy', range: { offset: 150, length: 150 } },
  ]);
  t.same(
    planCopyParts(
      [
        { offset: 0, length: 10 },
        { offset: 50, length: 10 },
      ],
      limits,
    ),
    [
      {
        kind: 'upload',
        pieces: [
          { offset: 0, length: 10 },
          { offset: 50, length: 10 },
        ],
      },
    ],
  );
  t.same(planCopyParts([], limits), []);
  t.same(
    planCopyParts(
      [
        { offset: 0, length: 60 },
        { offset: 60, length: 60 },
      ],
      limits,
    ),
    [{ kind: 'copy', range: { offset: 0, length: 120 } }],
  );
});
