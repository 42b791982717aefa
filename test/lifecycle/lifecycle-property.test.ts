/** Property: under any sequence of backup / forget / prune / check, every remaining snapshot reads back identically. */
import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { SnapshotId } from '../../src/core/ids.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { forget } from '../../src/lifecycle/forget.js';
import { prune } from '../../src/lifecycle/prune.js';
import { memoryRepo, readAllSnapshots, sameFiles, writeSnapshot, type FileSet } from './repo-fixture.js';

/** Deterministic content: `n` bytes derived from a seed. */
function bytes(seed: number, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
}

const SMALL = Array.from({ length: 8 }, (_, i) => bytes(i, 100 + ((i * 397) % 1400)));
const LARGE = Array.from({ length: 3 }, (_, i) => bytes(100 + i, 3000 + i * 2500));

const fileArb = fc.record({
  name: fc.constantFrom('a', 'b', 'd/c', 'd/e/f', 'g'),
  small: fc.nat(SMALL.length - 1),
  large: fc.option(fc.record({ base: fc.nat(LARGE.length - 1), tail: fc.nat(SMALL.length - 1) }), { freq: 3 }),
});

const opArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('backup' as const), files: fc.array(fileArb, { minLength: 1, maxLength: 5 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('forget' as const), pick: fc.nat(), last: fc.option(fc.integer({ min: 1, max: 3 })) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('prune' as const), maxUnused: fc.constantFrom(0, 0.1, 0.5, 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('check' as const) }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function fileSet(files: Extract<Op, { op: 'backup' }>['files']): FileSet {
  const out = new Map<string, Uint8Array>();
  for (const f of files) {
    const data = f.large ? Buffer.concat([LARGE[f.large.base]!, SMALL[f.large.tail]!]) : SMALL[f.small]!;
    if (![...out.keys()].some((k) => k.startsWith(`${f.name}/`) || f.name.startsWith(`${k}/`))) out.set(f.name, data);
  }
  return out;
}

t.test('nothing a remaining snapshot references is ever deleted', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 9 }), async (ops) => {
      runs++;
      const { repo, done } = await memoryRepo();
      try {
        const model = new Map<SnapshotId, FileSet>();
        let clock = Date.parse('2024-01-01T00:00:00Z');
        for (const op of ops) {
          if (op.op === 'backup') {
            const files = fileSet(op.files);
            clock += 3600_000;
            model.set(await writeSnapshot(repo, files, { time: new Date(clock).toISOString() }), files);
          } else if (op.op === 'forget' && model.size > 0) {
            const r =
              op.last === null
                ? await forget(repo, { ids: [[...model.keys()][op.pick % model.size]!] })
                : await forget(repo, { policy: { last: op.last } });
            for (const s of r.removed) model.delete(s.id);
          } else if (op.op === 'prune') {
            await prune(repo, { maxUnused: op.maxUnused, graceMs: 0 });
          } else if (op.op === 'check') {
            const r = await checkRepository(repo);
            if (r.problems.length > 0) throw new Error(r.problems.join('\n'));
          }
          const back = await readAllSnapshots(repo);
          if (back.size !== model.size) throw new Error(`after ${op.op}: ${back.size} snapshots, expected ${model.size}`);
          for (const [id, files] of model) if (!sameFiles(back.get(id), files)) throw new Error(`after ${op.op}: snapshot ${id} differs`);
        }
        const final = await checkRepository(repo, { readData: { kind: 'all' } });
        if (final.problems.length > 0) throw new Error(final.problems.join('\n'));
      } finally {
        await done();
      }
    }),
    { numRuns: 50 },
  );
  t.equal(runs >= 50, true, `${runs} runs`);
});
