import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LocalBackend } from '../../src/backend/local.js';
import { MemoryBackend, resetMemoryBackends } from '../../src/backend/memory.js';
import { openBackend, parseRepoUrl } from '../../src/backend/open.js';
import { S3Backend } from '../../src/backend/s3.js';

t.test('parseRepoUrl', async (t) => {
  t.same(parseRepoUrl('/srv/repo'), { kind: 'local', path: '/srv/repo' });
  t.same(parseRepoUrl('repo/x', '/home/u'), { kind: 'local', path: '/home/u/repo/x' });
  t.same(parseRepoUrl('../r', '/home/u'), { kind: 'local', path: '/home/r' });
  t.same(parseRepoUrl('file:///srv/r'), { kind: 'local', path: '/srv/r' });
  t.same(parseRepoUrl('s3://my-bucket'), { kind: 's3', bucket: 'my-bucket', prefix: '' });
  t.same(parseRepoUrl('s3://my-bucket/'), { kind: 's3', bucket: 'my-bucket', prefix: '' });
  t.same(parseRepoUrl('s3://my.bucket/a/b/'), { kind: 's3', bucket: 'my.bucket', prefix: 'a/b' });
  t.same(parseRepoUrl('memory://t1'), { kind: 'memory', name: 't1' });
  for (const bad of ['', 's3://ab', 's3://Upper', 's3://-bad', 's3://a..b', 's3://ok-bucket/a/../b', 'ftp://x/y', 'memory://']) {
    t.throws(() => parseRepoUrl(bad), { code: 'InvalidArgument' }, bad);
  }
});

t.test('openBackend', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-open-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const local = await openBackend(join(dir, 'repo'));
  t.ok(local instanceof LocalBackend);
  t.equal(local.location, join(dir, 'repo'));
  const s3 = await openBackend('s3://some-bucket/pre/fix');
  t.ok(s3 instanceof S3Backend);
  t.equal(s3.location, 's3://some-bucket/pre/fix');
  await s3.close();
  const m1 = await openBackend('memory://open-test');
  await m1.put('config', new Uint8Array([7]));
  const m2 = await openBackend('memory://open-test');
  t.ok(m2 instanceof MemoryBackend);
  t.same(await m2.get('config'), new Uint8Array([7]));
  resetMemoryBackends('open-test');
});
