/** The compact index of the lifecycle commands (BlobTable, BlobMarks, BitSet) against Map and Set models, and its memory per blob. */
import t from 'tap';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BLOB_ENTRY } from '../../src/cas/index-body.js';
import type { BlobId } from '../../src/core/ids.js';
import type { BlobType } from '../../src/core/types.js';
import { BitSet } from '../../src/lifecycle/bit-set.js';
import { BlobMarks } from '../../src/lifecycle/blob-marks.js';
import { BlobTable } from '../../src/lifecycle/blob-table.js';

interface Rec {
  readonly id: BlobId;
  readonly type: BlobType;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
}

/** Index-file blob records (FORMAT §7) of `recs`, laid end to end after `pad` bytes. */
function recordBytes(recs: readonly Rec[], pad = 0): Buffer {
  const out = Buffer.alloc(pad + recs.length * BLOB_ENTRY);
  recs.forEach((r, i) => {
    const at = pad + i * BLOB_ENTRY;
    out.write(r.id, at, 'hex');
    out[at + 32] = r.type;
    out.writeUIntLE(r.offset, at + 33, 6);
    out.writeUInt32LE(r.length, at + 39);
    out.writeUInt32LE(r.rawLength, at + 43);
  });
  return out;
}

/** Ids that share long prefixes (so comparisons reach their last bytes), and random ones. */
const idArb = fc.oneof(
  fc.nat(40).map((n) => `${'ab'.repeat(31)}${n.toString(16).padStart(2, '0')}` as BlobId),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex') as BlobId),
);
const recArb: fc.Arbitrary<Rec> = fc.record({
  id: idArb,
  type: fc.constantFrom(0 as const, 1 as const),
  offset: fc.nat({ max: 2 ** 48 - 1 }),
  length: fc.nat({ max: 0xffff_ffff }),
  rawLength: fc.nat({ max: 0xffff_ffff }),
});

/** `recs` appended in runs of the given lengths, to a table reserved for `capacity` records. */
function tableOf(recs: readonly Rec[], runs: readonly number[], capacity: number): BlobTable {
  const table = new BlobTable(capacity);
  let at = 0;
  for (const n of [...runs, recs.length]) {
    const run = recs.slice(at, at + n);
    if (run.length === 0) continue;
    assert.equal(table.append(recordBytes(run, 3), 3, run.length), at);
    at += run.length;
  }
  table.index();
  return table;
}

const scenario = fc.record({
  recs: fc.array(recArb, { maxLength: 300 }),
  runs: fc.array(fc.nat(60), { maxLength: 6 }),
  capacity: fc.nat(320),
  probes: fc.array(idArb, { maxLength: 20 }),
});

t.test('BlobTable answers as a Map from id to its records in order', async (t) => {
  fc.assert(
    fc.property(scenario, ({ recs, runs, capacity, probes }) => {
      const table = tableOf(recs, runs, capacity);
      const model = new Map<BlobId, number[]>();
      recs.forEach((r, i) => model.set(r.id, [...(model.get(r.id) ?? []), i]));
      assert.equal(table.size, recs.length);
      for (const id of [...recs.map((r) => r.id), ...probes]) {
        const want = model.get(id) ?? [];
        assert.deepEqual(table.recordsOf(id), want);
        assert.equal(table.find(id), want[0] ?? -1);
        for (const type of [0, 1] as const) assert.equal(table.findOfType(id, type), want.find((i) => recs[i]!.type === type) ?? -1);
      }
      recs.forEach((r, i) => {
        assert.deepEqual(table.blob(i), { ...r });
        assert.deepEqual(
          [table.idOf(i), table.typeOf(i), table.offsetOf(i), table.lengthOf(i), table.rawLengthOf(i)],
          [r.id, r.type, r.offset, r.length, r.rawLength],
        );
        assert.equal(table.isDuplicate(i), model.get(r.id)!.length > 1);
      });
      assert.equal(table.find('not hex' as BlobId), -1);
    }),
    { numRuns: 60 },
  );
  t.pass('as the model');
});

t.test('BlobMarks behaves as a Set of ids and marks every record of a member', async (t) => {
  fc.assert(
    fc.property(scenario, fc.array(idArb, { maxLength: 80 }), ({ recs, runs, capacity }, adds) => {
      const table = tableOf(recs, runs, capacity);
      const marks = new BlobMarks(table);
      const model = new Set<BlobId>();
      for (const id of adds) {
        assert.equal(marks.add(id), !model.has(id));
        model.add(id);
      }
      assert.equal(marks.size, model.size);
      for (const id of [...adds, ...recs.map((r) => r.id)]) assert.equal(marks.has(id), model.has(id));
      recs.forEach((r, i) => assert.equal(marks.records.has(i), model.has(r.id)));
      assert.deepEqual(new Set(marks.unindexed), new Set([...model].filter((id) => table.find(id) < 0)));
    }),
    { numRuns: 60 },
  );
  t.pass('as the model');
});

t.test('BitSet behaves as a Set of numbers', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 500 }).chain((size) => fc.tuple(fc.constant(size), fc.array(fc.nat(size - 1)), fc.array(fc.nat(size - 1)))),
      ([size, xs, ys]) => {
        const a = new BitSet(size);
        const b = new BitSet(size);
        const model = new Set<number>();
        for (const x of xs) {
          assert.equal(a.add(x), !model.has(x));
          model.add(x);
        }
        for (const y of ys) b.add(y);
        const union = BitSet.union(a, b);
        for (let i = 0; i < size; i++) {
          assert.equal(a.has(i), model.has(i));
          assert.equal(union.has(i), model.has(i) || ys.includes(i));
        }
      },
    ),
    { numRuns: 100 },
  );
  t.pass('as the model');
});

t.test('a table of 200,000 blobs and a mark set over it take at most 60 bytes per blob', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  // The memory behind the ArrayBuffers a collection finds dead is released by the collection itself, not by a
  // sweeper thread some time after it: a measure taken once gc() returns counts it gone.
  v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  const gc = vm.runInNewContext('gc') as () => void;
  const n = 200_000;
  const body = randomBytes(n * BLOB_ENTRY);
  for (let i = 0; i < n; i++) body[i * BLOB_ENTRY + 32] = i % 2;
  const held = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = held();
  const table = new BlobTable(n);
  table.append(body, 0, n);
  table.index();
  const marks = new BlobMarks(table);
  for (let i = 0; i < n; i += 3) marks.add(table.idOf(i));
  const perBlob = (held() - before) / n;
  t.ok(perBlob <= 60, `${perBlob.toFixed(1)} bytes per blob`);
  t.equal(marks.size, Math.ceil(n / 3));
  t.equal(table.find(table.idOf(n - 1)), n - 1);
  const last = table.blob(n - 1);
  table.releaseLookup();
  t.same(table.blob(n - 1), last, 'records are read by number without the lookup');
  t.throws(() => table.find(last.id), /no lookup by id/);
  table.release();
  t.equal(table.size, 0);
  const left = (held() - before) / n;
  t.ok(left < 8, `${left.toFixed(1)} bytes per blob held once released, the table still referenced`);
  t.equal(body.length, n * BLOB_ENTRY, 'the records read stay held throughout, outside the measure');
});
