import t from 'tap';
import { planCopyParts, withTail } from '../../src/backend/copy-plan.js';

const MiB = 1024 * 1024;

t.test('a tail joins a last upload part, or becomes a part of its own after a copy part', async (t) => {
  const tail = new Uint8Array([1, 2, 3]);
  const copyOnly = planCopyParts([{ offset: 0, length: 6 * MiB }]);
  t.equal(copyOnly.at(-1)!.kind, 'copy');
  const a = withTail(copyOnly, tail);
  t.equal(a.length, copyOnly.length + 1);
  t.same(a.at(-1), { kind: 'upload', pieces: [], extra: tail });

  const mixed = planCopyParts([
    { offset: 0, length: 6 * MiB },
    { offset: 7 * MiB, length: 1000 },
  ]);
  t.equal(mixed.at(-1)!.kind, 'upload');
  const b = withTail(mixed, tail);
  t.equal(b.length, mixed.length, 'merged into the last upload part');
  t.same((b.at(-1) as { extra?: Uint8Array }).extra, tail);
  t.same(withTail(mixed, undefined), mixed);
});
