import fc from 'fast-check';
import t from 'tap';
import { joinPath } from '../../src/snapshot/path.js';

t.test('joinPath puts one slash between parent and name, and none before a name at the root', async (t) => {
  t.same(joinPath(Buffer.alloc(0), Buffer.from('a')), Buffer.from('/a'));
  t.same(joinPath(Buffer.from('/'), Buffer.from('a')), Buffer.from('/a'));
  t.same(joinPath(Buffer.from('/x'), Buffer.from('ab')), Buffer.from('/x/ab'));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), (p, n) => {
      const parent = Buffer.from(p);
      const name = Buffer.from(n);
      const root = parent.length === 0 || parent.equals(Buffer.from('/'));
      const want = root ? Buffer.concat([Buffer.from('/'), name]) : Buffer.concat([parent, Buffer.from('/'), name]);
      return joinPath(parent, name).equals(want);
    }),
  );
});
