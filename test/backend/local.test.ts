import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LocalBackend } from '../../src/backend/local.js';
import { mapFsError } from '../../src/backend/fs-error.js';
import { TEMP_PREFIX } from '../../src/backend/names.js';
import { listAll, runConformance } from './conformance.js';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-local-'));
  roots.push(dir);
  return dir;
}
t.teardown(async () => {
  for (const dir of roots) await rm(dir, { recursive: true, force: true });
});

runConformance(t, async () => new LocalBackend(join(await freshRoot(), 'repo')));

t.test('location is the resolved root; missing root lists nothing', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(join(root, 'a', '..', 'repo'));
  t.equal(b.location, join(root, 'repo'));
  t.same(await listAll(b, ''), []);
  await b.put('config', new Uint8Array([1, 2]));
  t.same(await readdir(join(root, 'repo')), ['config']);
});

t.test('temp files are skipped by list and leave no trace after put', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(root);
  await b.put('packs/aa/one', new Uint8Array(10));
  await writeFile(join(root, 'packs', 'aa', `${TEMP_PREFIX}123`), 'leftover');
  t.same(
    (await listAll(b, '')).map((i) => i.name),
    ['packs/aa/one'],
  );
  t.same((await readdir(join(root, 'packs', 'aa'))).sort(), [`${TEMP_PREFIX}123`, 'one']);
  await t.rejects(b.put(`packs/${TEMP_PREFIX}x`, new Uint8Array(1)), { code: 'InvalidArgument' });
});

t.test('a failed streamed put removes its temp file', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(root);
  async function* broken(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(1000);
    throw new Error('boom');
  }
  await t.rejects(b.put('d/x', broken()), { message: 'boom' });
  t.same(await readdir(join(root, 'd')), []);
});

t.test('directories are not objects', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(root);
  await mkdir(join(root, 'dir'));
  t.equal(await b.stat('dir'), undefined);
  await t.rejects(b.get('dir'), { code: 'NotFound' });
  await t.rejects(b.get('dir', { offset: 0, length: 1 }), { code: 'NotFound' });
});

t.test('streamed put does not buffer the whole source', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(root);
  const chunk = new Uint8Array(1 << 20);
  let produced = 0;
  let maxAhead = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 32; i++) {
      produced += chunk.byteLength;
      const st = await b.stat('s');
      t.equal(st, undefined, 'not visible before the put completes');
      yield chunk;
      maxAhead = Math.max(maxAhead, produced);
    }
  }
  const before = process.memoryUsage().arrayBuffers;
  await b.put('s', source());
  t.equal((await b.stat('s'))?.size, 32 << 20);
  t.equal(maxAhead, 32 << 20);
  t.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'no 32 MiB buffer was built');
});

t.test('filesystem errors map to one-line RozenErrors', async (t) => {
  const fsErr = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: boom\nstack`), { code });
  const nospc = mapFsError(fsErr('ENOSPC'), 'write', '/r/packs/x');
  t.equal(nospc.code, 'NoSpace');
  t.equal(nospc.message, 'no space left on device while writing /r/packs/x');
  const acces = mapFsError(fsErr('EACCES'), 'write', '/r/config');
  t.equal(acces.code, 'BackendError');
  t.match(acces.message, /^permission denied: cannot write \/r\/config \(EACCES\)$/);
  t.equal(mapFsError(fsErr('ENOENT'), 'read', '/r/x').code, 'NotFound');
  const other = mapFsError(fsErr('EIO'), 'read', '/r/x');
  t.equal(other.code, 'BackendError');
  t.notMatch(other.message, /\n/);
});

t.test('a file where a directory should be is a clear error', async (t) => {
  const root = await freshRoot();
  const b = new LocalBackend(root);
  await b.put('x', new Uint8Array(1));
  await t.rejects(b.put('x/y', new Uint8Array(1)), { code: 'BackendError' });
});

t.test('a ranged get reads into the buffer given when it is large enough', async (t) => {
  const b = new LocalBackend(await freshRoot());
  await b.put('packs/ab/x', Buffer.from('0123456789'));
  const into = new Uint8Array(8);
  const got = await b.get('packs/ab/x', { offset: 2, length: 5 }, into);
  t.equal(Buffer.from(got).toString(), '23456');
  t.equal(got.buffer, into.buffer, 'a view of the buffer given');
  const other = await b.get('packs/ab/x', { offset: 0, length: 10 }, into);
  t.equal(Buffer.from(other).toString(), '0123456789');
  t.not(other.buffer, into.buffer, 'too small: a new buffer');
  await t.rejects(b.get('packs/ab/x', { offset: 8, length: 5 }, into), { code: 'CorruptData' });
});
