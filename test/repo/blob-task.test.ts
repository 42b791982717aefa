/** BlobTasks as the workers run them: small files read in batches by the addon, verify of whole packs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { blobIdOf } from '../../src/crypto/blob-id.js';
import { openEach } from '../../src/repo/native-open.js';

/** Opens one sealed blob as a worker does. */
const open = (id: string, sealed: Uint8Array, rawLength: number): Buffer => {
  const { plain, problems } = openEach(tasks.nativeKeys, sealed, [{ id: id as never, at: 0, length: sealed.length, rawLength }]);
  if (problems[0]) throw new Error(problems[0]);
  return Buffer.from(plain);
};

const keys = { encKey: new Uint8Array(32).fill(1), idKey: new Uint8Array(32).fill(2) };
const tasks = new BlobTasks(keys);
const dir = mkdtempSync(join(tmpdir(), 'rozen-blob-task-'));
const file = (name: string, data: string | Buffer): Buffer => {
  writeFileSync(join(dir, name), data);
  return Buffer.from(join(dir, name));
};

t.test('files: read, hashed and sealed per file; failures and oversized files per file too', async (t) => {
  const paths = [
    file('a', 'hello'), file('empty', ''), Buffer.from(join(dir, 'missing')), file('big', Buffer.alloc(5000, 7)),
    ...Array.from({ length: 9 }, (_, i) => file(`n${i}`, `file ${i}`)),
  ];
  const req = (path: Buffer) => ({ path, level: 3 as const, tryLevel: 3, maxSize: 4096 });
  const out = await tasks.files({ op: 'files', files: paths.map(req) });
  t.equal(out.length, paths.length, 'one result per file, in order (several addon calls)');
  const a = out[0] as { id: string; rawLength: number; sealed: Uint8Array };
  t.equal(a.id, blobIdOf(keys.idKey, Buffer.from('hello')));
  t.equal(a.rawLength, 5);
  t.same(open(a.id, a.sealed, 5), Buffer.from('hello'));
  t.equal((out[1] as { rawLength: number }).rawLength, 0, 'an empty file');
  t.match(out[2], { code: 'ENOENT', error: /no such file or directory, open '.*missing'/ }, 'a vanished file is an error of its own');
  t.equal(out[3], undefined, 'a file that grew past maxSize is left to the large-file path');
  for (let i = 0; i < 9; i++) t.equal((out[4 + i] as { id: string }).id, blobIdOf(keys.idKey, Buffer.from(`file ${i}`)));
});

t.test('files: a read that fails after open is reported with its code', async (t) => {
  // A path that became a directory since the walk: open succeeds, read fails.
  const out = await tasks.files({ op: 'files', files: [{ path: Buffer.from(dir), level: false, tryLevel: 3, maxSize: 1 << 30 }] });
  t.match(out[0], { code: 'EISDIR', error: /EISDIR: .*, read '/ });
});

t.test('a lazy pool seals small blobs on the calling thread and starts its workers only for larger work', async (t) => {
  const { createBlobPool } = await import('../../src/repo/blob-pool.js');
  const pool = createBlobPool(keys, { lazy: true });
  const small = Buffer.alloc(1000, 3);
  const r = await pool.seal({ data: small, level: 3 });
  t.equal(r.id, blobIdOf(keys.idKey, small));
  t.same(open(r.id, r.sealed, small.length), small);
  t.notOk(pool.started, 'a tree-sized seal starts no workers');
  const large = Buffer.alloc(100_000, 4);
  const r2 = await pool.seal({ data: large, level: 3 });
  t.same(open(r2.id, r2.sealed, large.length), large);
  t.ok(pool.started, 'larger work starts them');
  await pool.close();
  const idle = createBlobPool(keys, { lazy: true });
  await idle.close();
  t.notOk(idle.started, 'closing a pool that never started starts nothing');
  t.ok(createBlobPool(keys).started, 'an eager pool starts at once');
});
