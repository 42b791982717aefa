/** prune of a partly dead degenerate pack on backends that copy byte ranges on the server (S3 UploadPartCopy). */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { MemoryBackend } from '../../src/backend/memory.js';
import { S3Backend } from '../../src/backend/s3.js';
import type { Backend } from '../../src/backend/backend.js';
import type { ByteRange } from '../../src/core/types.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { forget } from '../../src/lifecycle/forget.js';
import { prune } from '../../src/lifecycle/prune.js';
import { startS3rver, S3RVER_CREDENTIALS } from '../helpers/s3rver.js';
import { initRepo, readAllSnapshots, sameFiles, tempDir, writeSnapshot } from './repo-fixture.js';

/** A memory backend that assembles objects from ranges itself and records each request, as S3 would on the server. */
class CopyingBackend extends MemoryBackend {
  readonly copies: { from: string; ranges: readonly ByteRange[]; to: string; tail: number }[] = [];
  async copyRange(from: string, ranges: readonly ByteRange[], to: string, tail?: Uint8Array): Promise<void> {
    this.copies.push({ from, ranges, to, tail: tail?.length ?? 0 });
    const parts = await Promise.all(ranges.map((r) => this.get(from, r)));
    await this.put(to, Buffer.concat([...parts, ...(tail ? [tail] : [])]));
  }
}

const files = (entries: Record<string, Uint8Array>): Map<string, Uint8Array> => new Map(Object.entries(entries));

async function partlyDeadDegenerate(t: Test, backend: Backend): Promise<void> {
  const cache = tempDir();
  const repo = await initRepo(backend, cache.path);
  t.teardown(async () => {
    await repo.close();
    cache.remove();
  });
  const big = randomBytes(7000);
  const a = files({ big });
  const b = files({ big: Buffer.concat([big.subarray(0, 3500), randomBytes(3000)]) });
  const idA = await writeSnapshot(repo, a, { time: '2024-01-01T00:00:00.000Z' });
  const idB = await writeSnapshot(repo, b, { time: '2024-01-02T00:00:00.000Z' });
  await forget(repo, { ids: [idA] });
  const r = await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.ok(r.packsRepacked > 0, 'a degenerate pack was repacked');
  t.same((await checkRepository(repo, { readData: { kind: 'all' } })).problems, []);
  const back = await readAllSnapshots(repo);
  t.same([...back.keys()], [idB]);
  t.ok(sameFiles(back.get(idB), b), 'the remaining version reads back identically');
}

t.test('prune assembles the new degenerate pack with range copies plus a new header', async (t) => {
  const backend = new CopyingBackend();
  await partlyDeadDegenerate(t, backend);
  t.ok(backend.copies.length > 0, 'copyRange was used');
  for (const c of backend.copies) {
    t.match(c.to, /^packs\/[0-9a-f]{2}\/[0-9a-f]{64}$/, 'straight to its final name');
    t.ok(c.tail > 40, 'a sealed header is appended');
  }
});

t.test('on s3rver (no UploadPartCopy) prune falls back to GET + upload and the repository checks clean', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const backend = new S3Backend({
    bucket: s3.bucket,
    prefix: 'repo',
    endpoint: s3.endpoint,
    credentials: S3RVER_CREDENTIALS,
    region: 'us-east-1',
  });
  await partlyDeadDegenerate(t, backend);
});
