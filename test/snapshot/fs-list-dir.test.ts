/** The addon's listDir: a directory's entries and which are directories, errors shaped like fs.readdir's, atime kept. */
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../src/snapshot/fs/native.js';

const dir = mkdtempSync(join(tmpdir(), 'rozen-listdir-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The listing as one Buffer per name. */
async function list(path: string): Promise<{ names: Buffer[]; dirs: Uint8Array }> {
  const { names, ends, dirs } = await native().listDir(Buffer.from(path));
  t.equal(ends.length, dirs.length);
  return { names: [...ends].map((end, i) => names.subarray(i === 0 ? 0 : ends[i - 1], end)), dirs };
}

t.test('every entry but . and .., with directories marked, as readdir lists them, sorted by bytes', async (t) => {
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'file'), 'x');
  symlinkSync('sub', join(dir, 'link-to-dir'));
  const odd = Buffer.from([0x66, 0xff, 0x0a, 0x67]); // not UTF-8, with a newline
  writeFileSync(Buffer.concat([Buffer.from(dir + '/'), odd]), '');
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, `n${i}`), '');
  writeFileSync(join(dir, 'n1x'), ''); // a longer name after its prefix "n1"
  writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x6e, 0x80])]), ''); // high bytes sort last
  const { names, dirs } = await list(dir);
  t.same(
    names,
    [...names].sort((a, b) => Buffer.compare(a, b)),
    'in Buffer.compare order',
  );
  const got = names.map((n, i) => `${n.toString('hex')}:${dirs[i]}`).sort();
  const want = readdirSync(Buffer.from(dir), { withFileTypes: true, encoding: 'buffer' })
    .map((d) => `${Buffer.from(d.name).toString('hex')}:${d.isDirectory() ? 1 : 0}`)
    .sort();
  t.same(got, want);
  t.ok(
    names.some((n) => n.equals(odd)),
    'a name that is not UTF-8 comes back as its bytes',
  );
  t.equal(dirs[names.findIndex((n) => n.toString() === 'link-to-dir')], 0, 'a symlink to a directory is not a directory');
});

t.test('listing keeps the directory atime', async (t) => {
  const d = join(dir, 'kept');
  mkdirSync(d);
  writeFileSync(join(d, 'a'), '');
  utimesSync(d, new Date('2001-01-01T00:00:00Z'), new Date());
  t.same((await list(d)).names, [Buffer.from('a')]);
  t.equal(statSync(d).atimeMs, Date.parse('2001-01-01T00:00:00Z'));
});

t.test('an empty directory', async (t) => {
  mkdirSync(join(dir, 'empty'));
  const { names, ends, dirs } = await native().listDir(Buffer.from(join(dir, 'empty')));
  t.equal(ends.length, 0);
  t.equal(dirs.length, 0);
  t.ok(Buffer.isBuffer(names));
});

t.test('errors as fs.readdir gives them, and bad arguments refused', async (t) => {
  await t.rejects(native().listDir(Buffer.from(join(dir, 'missing'))), { code: 'ENOENT', syscall: 'scandir', path: join(dir, 'missing') });
  await t.rejects(native().listDir(Buffer.from(join(dir, 'file'))), { code: 'ENOTDIR' });
  t.throws(() => native().listDir('text' as unknown as Buffer), TypeError);
  t.throws(() => native().listDir(Buffer.alloc(0)), TypeError);
  t.throws(() => native().listDir(Buffer.from('a\0b')), TypeError);
});
