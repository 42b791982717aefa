import t from 'tap';
import fc from 'fast-check';
import type { BlobId } from '../../src/core/ids.js';
import { BlobIdSet } from '../../src/cas/index-id-set.js';
import { hexId } from './index-arbitraries.js';

t.test('behaves like a Set of ids', async (t) => {
  fc.assert(
    fc.property(fc.array(hexId, { maxLength: 3000 }), fc.array(hexId, { maxLength: 50 }), (added, probes) => {
      const set = new BlobIdSet();
      for (const id of added) set.add(id as BlobId);
      const model = new Set(added);
      t.equal(set.size, model.size);
      for (const id of [...added, ...probes]) if (set.has(id as BlobId) !== model.has(id)) return false;
      return true;
    }),
    { numRuns: 30 },
  );
});

t.test('empties itself when full, so its memory stays bounded', async (t) => {
  const set = new BlobIdSet(100);
  const ids = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(64, '0') as BlobId);
  for (const id of ids.slice(0, 100)) set.add(id);
  t.equal(set.size, 100);
  set.add(ids[100]!);
  t.equal(set.size, 1);
  t.ok(set.has(ids[100]!));
  t.notOk(set.has(ids[0]!));
});
