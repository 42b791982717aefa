/**
 * The compact index view and prune's plan against the algorithm they replaced (maps of objects and sets of
 * hex ids, kept here as the model), on index files with blobs stored twice and packs listed twice.
 */
import t from 'tap';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ObjectInfo } from '../../src/backend/backend.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { BlobIdSet } from '../../src/cas/index-id-set.js';
import { writeIndexFile } from '../../src/cas/index-file.js';
import { packName } from '../../src/cas/pack-path.js';
import type { BlobId, PackId } from '../../src/core/ids.js';
import type { BlobLocation, PackDescription } from '../../src/core/types.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { BitSet } from '../../src/lifecycle/bit-set.js';
import { BlobMarks } from '../../src/lifecycle/blob-marks.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { indexedLayoutProblems, packLayoutProblems } from '../../src/lifecycle/pack-layout.js';
import { countLive, planPrune, type PrunePolicy } from '../../src/lifecycle/prune-plan.js';
import { hexId, packArb as describedPackArb } from '../cas/index-arbitraries.js';

/** The former IndexView: every pack's first description, every blob's locations. */
function modelView(files: ReadonlyMap<string, readonly PackDescription[]>): {
  packs: Map<PackId, PackDescription>;
  blobs: Map<BlobId, BlobLocation[]>;
} {
  const packs = new Map<PackId, PackDescription>();
  const blobs = new Map<BlobId, BlobLocation[]>();
  for (const id of [...files.keys()].sort()) {
    for (const pack of files.get(id)!) {
      if (packs.has(pack.id)) continue;
      packs.set(pack.id, pack);
      for (const { id: blob, ...loc } of pack.blobs) blobs.set(blob, [...(blobs.get(blob) ?? []), { pack: pack.id, ...loc }]);
    }
  }
  return { packs, blobs };
}

type ModelView = ReturnType<typeof modelView>;

/** The former planPrune, on pack ids. */
function modelPlan(
  view: ModelView,
  live: ReadonlySet<BlobId>,
  stored: ReadonlyMap<string, ObjectInfo>,
  tmp: readonly ObjectInfo[],
  policy: PrunePolicy,
) {
  const keep: PackDescription[] = [];
  const toRepack: PackDescription[] = [];
  const drop: PackDescription[] = [];
  const lost: PackId[] = [];
  for (const pack of view.packs.values()) {
    const dead = pack.blobs.reduce((n, b) => n + (live.has(b.id) ? 0 : b.length), 0);
    if (!stored.has(pack.id)) lost.push(pack.id);
    else if (!pack.blobs.some((b) => live.has(b.id))) drop.push(pack);
    else if (dead > policy.maxUnused * pack.size) toRepack.push(pack);
    else keep.push(pack);
  }
  const covered = new Set<BlobId>();
  for (const p of keep) for (const b of p.blobs) if (live.has(b.id)) covered.add(b.id);
  const repack: { pack: PackId; blobs: PackDescription['blobs'] }[] = [];
  for (const pack of toRepack) {
    const blobs = pack.blobs.filter((b) => live.has(b.id) && !covered.has(b.id) && covered.add(b.id));
    if (blobs.length > 0) repack.push({ pack: pack.id, blobs });
    else drop.push(pack);
  }
  const old = (o: ObjectInfo): boolean => policy.now - o.mtimeMs >= policy.graceMs;
  const unindexed = [...stored.values()].filter((o) => !view.packs.has(o.name.split('/').at(-1) as PackId));
  return {
    keep: keep.map((p) => p.id),
    repack,
    drop: drop.map((p) => p.id),
    lost,
    orphans: unindexed.filter(old),
    young: unindexed.filter((o) => !old(o)),
    tmp: tmp.filter(old),
  };
}

const blobArb = fc.record({ blob: fc.nat(9), type: fc.constantFrom(0 as const, 1 as const), length: fc.integer({ min: 1, max: 1000 }) });
const packArb = fc.record({
  pack: fc.nat(5),
  kind: fc.constantFrom(0 as const, 1 as const, 2 as const),
  blobs: fc.array(blobArb, { maxLength: 6 }),
  slack: fc.nat(500),
});
const refArb = fc.oneof(fc.nat(9), hexId); // a blob of the pool, or one no index holds
const objArb = (name: fc.Arbitrary<string>): fc.Arbitrary<ObjectInfo> => fc.record({ name, size: fc.nat(10_000), mtimeMs: fc.nat(10_000) });

const scenario = fc.record({
  blobIds: fc.uniqueArray(hexId, { minLength: 10, maxLength: 10 }),
  packIds: fc.uniqueArray(hexId, { minLength: 6, maxLength: 6 }),
  files: fc.array(fc.uniqueArray(packArb, { maxLength: 4, selector: (p) => p.pack }), { minLength: 1, maxLength: 4 }),
  trees: fc.array(refArb, { maxLength: 8 }),
  data: fc.array(refArb, { maxLength: 12 }),
  missing: fc.array(hexId, { maxLength: 2 }),
  stored: fc.subarray([0, 1, 2, 3, 4, 5]),
  mtimes: fc.array(fc.nat(10_000), { minLength: 6, maxLength: 6 }),
  unindexed: fc.array(objArb(hexId.map((id) => packName(id as PackId))), { maxLength: 2 }),
  tmp: fc.array(objArb(hexId.map((id) => `tmp/${id}`)), { maxLength: 2 }),
  policy: fc.record({ maxUnused: fc.constantFrom(0, 0.1, 0.5, 1), graceMs: fc.constantFrom(0, 5000), now: fc.constant(10_000) }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function describeFile(s: Scenario, file: Scenario['files'][number]): PackDescription[] {
  return file.map((p) => {
    let offset = 0;
    const blobs = p.blobs.map((b) => {
      const entry = { id: s.blobIds[b.blob] as BlobId, type: b.type, offset, length: b.length, rawLength: b.length * 2 };
      offset += b.length;
      return entry;
    });
    return { id: s.packIds[p.pack] as PackId, kind: p.kind, size: offset + p.slack, blobs };
  });
}

t.test('the view, the live count and the plan are those of the former maps and sets', async (t) => {
  const sealer = new Sealer(randomBytes(32));
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const backend = new MemoryBackend();
      const files = new Map<string, PackDescription[]>();
      for (const file of s.files) {
        const packs = describeFile(s, file);
        files.set(await writeIndexFile(backend, sealer, packs), packs);
      }
      const repeats: string[] = [];
      const view = await loadIndexView(backend, sealer, {
        onRepeat: (id, again, first) => repeats.push(JSON.stringify([id, again, first])),
      });
      const model = modelView(files);
      assert.deepEqual(view.files, [...files.keys()].sort());
      assert.deepEqual(
        view.packs.map((p) => p.describe()),
        [...model.packs.values()],
      );
      const expectedRepeats = [...files.keys()].sort().flatMap((id) =>
        files
          .get(id)!
          .filter((p) => model.packs.get(p.id) !== p)
          .map((p) => JSON.stringify([id, p, model.packs.get(p.id)])),
      );
      assert.deepEqual(repeats, expectedRepeats);
      const ref = (r: number | string): BlobId => (typeof r === 'number' ? s.blobIds[r] : r) as BlobId;
      for (const id of [...s.blobIds, ...s.trees.map(ref), ...s.data.map(ref)] as BlobId[]) {
        assert.deepEqual(view.locations(id), model.blobs.get(id) ?? []);
        for (const type of [0, 1] as const)
          assert.deepEqual(
            view.locate(id, type),
            model.blobs.get(id)?.find((l) => l.type === type),
          );
      }

      const reach = { trees: new BlobMarks(view.blobs), data: new BlobMarks(view.blobs), missing: new BlobIdSet(Number.POSITIVE_INFINITY) };
      for (const r of s.trees) reach.trees.add(ref(r));
      for (const r of s.data) reach.data.add(ref(r));
      for (const id of s.missing) reach.missing.add(id as BlobId);
      const live = BitSet.union(reach.trees.records, reach.data.records);
      const modelLive = new Set([...s.trees, ...s.data].map(ref));
      const stored = new Map<string, ObjectInfo>();
      for (const i of s.stored) stored.set(s.packIds[i]!, { name: packName(s.packIds[i] as PackId), size: 1, mtimeMs: s.mtimes[i]! });
      for (const o of s.unindexed) stored.set(o.name.split('/').at(-1)!, o);
      const lost = new Set(s.missing).size + [...modelLive].filter((id) => !model.blobs.get(id)?.some((l) => stored.has(l.pack))).length;
      assert.deepEqual(countLive(view, reach, live, stored), { live: modelLive.size, lost });

      const plan = planPrune(view, live, stored, s.tmp, s.policy);
      assert.deepEqual(
        {
          keep: plan.keep.map((p) => p.id),
          repack: plan.repack.map((j) => ({ pack: j.pack.id, blobs: j.blobs() })),
          drop: plan.drop.map((p) => p.id),
          lost: plan.lost,
          orphans: plan.orphans,
          young: plan.young,
          tmp: plan.tmp,
        },
        modelPlan(model, modelLive, stored, s.tmp, s.policy),
      );
      for (const j of plan.repack) assert.deepEqual([j.count, j.bytes], [j.blobs().length, j.blobs().reduce((n, b) => n + b.length, 0)]);
    }),
    { numRuns: 150 },
  );
  t.pass('as the model');
});

t.test('the layout of an indexed pack is judged as from its description', async (t) => {
  const sealer = new Sealer(randomBytes(32));
  // Packs as described at random, or with their blobs of the kind's type laid end to end (as writers lay
  // them), one of them maybe moved back onto the one before, and some tail.
  const laidOut = fc.tuple(describedPackArb, fc.boolean(), fc.nat(100), fc.nat(8), fc.nat(3)).map(([p, contiguous, tail, moved, by]) => {
    if (!contiguous) return p;
    let offset = 0;
    const type = p.kind === 2 ? (1 as const) : (0 as const);
    const blobs = p.blobs.map((b, i) => {
      const length = 1 + (b.length % 5000);
      offset += length;
      return { ...b, type, length, offset: offset - length - (i === moved ? Math.min(by, offset - length) : 0) };
    });
    return { ...p, blobs, size: offset + tail };
  });
  const packs = fc.uniqueArray(laidOut, { maxLength: 5, selector: (p) => p.id });
  await fc.assert(
    fc.asyncProperty(packs, fc.array(fc.tuple(fc.nat(4), fc.nat(7), fc.nat(4), fc.nat(7))), async (list, copies) => {
      // Some blobs take the id of another (in the same pack or another one).
      const blobs = list.map((p) => p.blobs.map((b) => ({ ...b })));
      for (const [p, b, q, c] of copies) {
        const to = blobs[p]?.[b];
        const from = blobs[q]?.[c];
        if (to && from) to.id = from.id;
      }
      const backend = new MemoryBackend();
      await writeIndexFile(
        backend,
        sealer,
        list.map((p, i) => ({ ...p, blobs: blobs[i]! })),
      );
      const view = await loadIndexView(backend, sealer);
      for (const p of view.packs) assert.deepEqual(indexedLayoutProblems(view.blobs, p), packLayoutProblems(p.describe()));
    }),
    { numRuns: 200 },
  );
  t.pass('the same lines');
});
