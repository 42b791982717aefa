/**
 * A series of snapshots copied in one run, where each copy starts from the directories the run wrote for the one
 * before (copy-trees.ts remembers them), against the same series copied one snapshot per run (bases read from both
 * repositories): every copy holds its source snapshot's files, and the run reads no tree of the destination.
 */
import t from 'tap';
import fc from 'fast-check';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { SnapshotId } from '../../src/core/ids.js';
import type { ByteRange } from '../../src/core/types.js';
import { copySnapshots } from '../../src/lifecycle/copy.js';
import type { Repository } from '../../src/repo/repository.js';
import { listSnapshots } from '../../src/repo/snapshots.js';
import { initRepo, readAllSnapshots, sameFiles, tempDir, writeSnapshot } from './repo-fixture.js';

/** A memory backend that counts reads of pack files. */
class CountingBackend extends MemoryBackend {
  packReads = 0;
  override async get(name: string, range?: ByteRange): Promise<Uint8Array> {
    if (name.startsWith('packs/')) this.packReads++;
    return super.get(name, range);
  }
}

const PATHS = ['a/x', 'a/y', 'a/b/z', 'a/b/w', 'c/v', 'c/d/u', 'top', 'big'];

/**
 * One day's change: a file written (new bytes, or a copy of another's), touched (its mtime changed), removed, or
 * directory `a/b` moved to `e`.
 */
type Change =
  | { kind: 'write'; path: number; seed: number; size: number }
  | { kind: 'touch'; path: number; seed: number }
  | { kind: 'remove'; path: number }
  | { kind: 'move' };

/** A day's files and their mtimes (0 where not touched). */
interface Day {
  readonly files: Map<string, Uint8Array>;
  readonly mtimes: Map<string, bigint>;
}

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    path: fc.nat(PATHS.length - 1),
    seed: fc.nat(5),
    size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 3000, max: 6000 })),
  }),
  fc.record({ kind: fc.constant('touch' as const), path: fc.nat(PATHS.length - 1), seed: fc.nat(3) }),
  fc.record({ kind: fc.constant('remove' as const), path: fc.nat(PATHS.length - 1) }),
  fc.constant({ kind: 'move' as const }),
);

/** Bytes of a file: `size` bytes from `seed`, so equal (seed, size) give equal content in two places. */
function bytes(seed: number, size: number): Uint8Array {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 131 + i * 7 + (i >> 8)) & 0xff;
  return out;
}

function apply({ files, mtimes }: Day, c: Change): void {
  const path = c.kind === 'move' ? '' : (PATHS[c.path] ?? 'top');
  if (c.kind === 'write') files.set(path, bytes(c.seed, c.size));
  else if (c.kind === 'touch') mtimes.set(path, BigInt(c.seed + 1));
  else if (c.kind === 'remove') files.delete(path);
  else {
    for (const [p, data] of [...files]) {
      if (!p.startsWith('a/b/')) continue;
      files.delete(p);
      files.set(`e/${p.slice(4)}`, data);
      mtimes.set(`e/${p.slice(4)}`, mtimes.get(p) ?? 0n);
    }
  }
}

/** The source's snapshots, oldest first, each with the files it holds and their mtimes. */
async function series(src: Repository, days: readonly (readonly Change[])[]): Promise<Map<SnapshotId, Day>> {
  const now: Day = { files: new Map([['top', bytes(9, 50)]]), mtimes: new Map() };
  const out = new Map<SnapshotId, Day>();
  for (const [i, day] of days.entries()) {
    for (const c of day) apply(now, c);
    const time = new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
    const mtimes = new Map([...now.files.keys()].map((p) => [p, now.mtimes.get(p) ?? 0n]));
    out.set(await writeSnapshot(src, now.files, { time, mtimes }), { files: new Map(now.files), mtimes });
  }
  return out;
}

const sameTimes = (a: ReadonlyMap<string, bigint> | undefined, b: ReadonlyMap<string, bigint>): boolean =>
  a !== undefined && a.size === b.size && [...a].every(([p, t]) => b.get(p) === t);

/** Problems of `dst`: a copy whose files or mtimes are not its source snapshot's. */
async function mismatches(dst: Repository, want: ReadonlyMap<SnapshotId, Day>): Promise<string[]> {
  const times = new Map<SnapshotId, Map<string, bigint>>();
  const got = await readAllSnapshots(dst, times);
  const out: string[] = [];
  for (const s of await listSnapshots(dst)) {
    const from = s.copiedFrom;
    const day = from === undefined ? undefined : want.get(from);
    if (day === undefined || !sameFiles(got.get(s.id), day.files)) out.push(`copy of ${String(from)}`);
    else if (!sameTimes(times.get(s.id), day.mtimes)) out.push(`mtimes of the copy of ${String(from)}`);
  }
  if (got.size !== want.size) out.push(`${got.size} copies of ${want.size} snapshots`);
  return out;
}

t.test('a series copied in one run equals its source and reads no destination tree', async (t) => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  t.teardown(() => dirs.forEach((d) => d.remove()));
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(change, { maxLength: 4 }), { minLength: 2, maxLength: 5 }), async (days) => {
      const [a, b, c] = dirs.map((d) => `${d.path}/${runs}`);
      runs++;
      const src = await initRepo(new MemoryBackend(), a ?? '');
      const oneRun = new CountingBackend();
      const dst = await initRepo(oneRun, b ?? '');
      const perRun = await initRepo(new MemoryBackend(), c ?? '');
      try {
        const want = await series(src, days);
        const snaps = await listSnapshots(src);
        oneRun.packReads = 0;
        await copySnapshots(src, dst, snaps);
        const reads = oneRun.packReads;
        for (const s of snaps) await copySnapshots(src, perRun, [s], { sources: snaps });
        const problems = [...(await mismatches(dst, want)), ...(await mismatches(perRun, want)).map((p) => `per run: ${p}`)];
        if (reads > 0) problems.push(`the run read ${reads} packs of its destination`);
        if (problems.length > 0) throw new Error(problems.join('; '));
      } finally {
        await Promise.all([src.close(), dst.close(), perRun.close()]);
      }
    }),
    { numRuns: 30 },
  );
  t.pass(`${runs} series copied both ways`);
});
