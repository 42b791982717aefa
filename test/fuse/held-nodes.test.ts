/** The compact table of held nodes against a Map, what a held node costs, and the paged arrays it is made of. */
import t from 'tap';
import fc from 'fast-check';
import { blobKeyOf, HeldNodes, NO_BLOB } from '../../src/fuse/held-nodes.js';
import { PagedArray } from '../../src/fuse/paged-array.js';

interface Model {
  refs: number;
  readonly dir: number;
  readonly index: number;
  readonly blob: number;
}

type Action = { kind: 'lookup'; ino: number; dir: number; index: number; blob: number } | { kind: 'forget'; ino: number; count: number };

/** Few node numbers, far apart (below 2^32, above it, near 2^53), so the same ones come back again and again. */
const BASES = [2, 2 ** 32 - 40, 2 ** 52];
const ino = fc.tuple(fc.constantFrom(...BASES), fc.nat(40)).map(([base, k]) => base + k);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('lookup' as const),
    ino,
    dir: fc.nat(5),
    index: fc.nat(1_000_000),
    blob: fc.oneof(fc.constant(NO_BLOB), fc.integer({ min: 1, max: 4 }), fc.constant(2 ** 52 - 1)),
  }),
  fc.record({ kind: fc.constant('forget' as const), ino, count: fc.integer({ min: 1, max: 3 }) }),
);

function check(table: HeldNodes, model: Map<number, Model>): string | undefined {
  if (table.size !== model.size) return `size ${table.size}, model ${model.size}`;
  for (const base of BASES) {
    for (let k = 0; k <= 40; k++) {
      const slot = table.slotOf(base + k);
      const m = model.get(base + k);
      if (slot >= 0 !== (m !== undefined)) return `ino ${base + k}: held ${slot >= 0}, model ${m !== undefined}`;
      if (m && (table.refsAt(slot) !== m.refs || table.dirAt(slot) !== m.dir || table.indexAt(slot) !== m.index))
        return `ino ${base + k}: record differs`;
    }
  }
  for (const blob of [1, 2, 3, 4, 2 ** 52 - 1]) {
    const got: number[] = [];
    table.withBlob(blob, (i) => got.push(i));
    const want = [...model].filter(([, m]) => m.blob === blob).map(([i]) => i);
    if (got.sort().join() !== want.sort().join()) return `blob ${blob}: ${got.join()} vs ${want.join()}`;
  }
  return undefined;
}

t.test('lookups and forgets with counts, and numbers held again, match a Map', async (t) => {
  fc.assert(
    fc.property(fc.array(action, { maxLength: 400 }), (actions) => {
      const table = new HeldNodes();
      const model = new Map<number, Model>();
      for (const a of actions) {
        if (a.kind === 'lookup') {
          const m = model.get(a.ino);
          if (table.addRef(a.ino) !== (m !== undefined)) return false;
          if (m) m.refs++;
          else {
            table.add(a.ino, a.dir, a.index, a.blob);
            model.set(a.ino, { refs: 1, dir: a.dir, index: a.index, blob: a.blob });
          }
        } else {
          const m = model.get(a.ino);
          const dropped = table.forget(a.ino, a.count);
          if (m !== undefined && (m.refs -= a.count) <= 0) {
            model.delete(a.ino);
            if (dropped !== m.dir) return false;
          } else if (dropped !== -1) return false;
        }
        const wrong = check(table, model);
        if (wrong !== undefined) throw new Error(wrong);
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass('every step agreed');
});

t.test('a held node costs a fixed record, whatever the count', async (t) => {
  const table = new HeldNodes();
  const count = 200_000;
  for (let i = 0; i < count; i++) table.add(1000 + i, i >> 10, i & 1023, blobKeyOf((i * 2654435761).toString(16).padStart(13, '0')));
  t.equal(table.size, count);
  const perNode = table.byteLength / count;
  t.ok(perNode < 64, `${perNode.toFixed(1)} bytes per held node`);
  for (let i = 0; i < count; i += 2) table.forget(1000 + i, 1);
  t.equal(table.size, count / 2);
  for (let i = 0; i < count; i += 2) table.add(1000 + i, 7, i, NO_BLOB);
  t.equal(table.byteLength / count, perNode, 'freed records are reused');
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const slot = table.slotOf(1000 + i);
    const [dir, index] = i % 2 === 0 ? [7, i] : [i >> 10, i & 1023];
    if (table.dirAt(slot) !== dir || table.indexAt(slot) !== index || table.refsAt(slot) !== 1) wrong++;
  }
  t.equal(wrong, 0, 'every record, on every page, as written');
});

t.test('blob keys are the first 52 bits of an id', async (t) => {
  t.equal(blobKeyOf('ffffffffffffff00'), 2 ** 52 - 1);
  t.equal(blobKeyOf('0000000000001fff'), 1);
  t.equal(blobKeyOf('not hex at all!'), NO_BLOB);
});

t.test('a paged array grows by pages and keeps what it holds', async (t) => {
  const a = new PagedArray((n) => new Uint32Array(n));
  t.equal(a.length, 0);
  a.reserve(5000);
  t.equal(a.length, 8192, 'two pages');
  for (let i = 0; i < 5000; i++) a.set(i, i * 3);
  a.reserve(9000);
  t.equal(a.byteLength, 3 * 4096 * 4);
  t.ok(Array.from({ length: 5000 }, (_, i) => a.get(i) === i * 3).every(Boolean), 'values kept across growth');
  t.equal(a.get(8999), 0, 'new elements are 0');
});
