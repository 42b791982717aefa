/** The addon's restore writer (write_blobs.c): blobs opened and written to their files, single-blob files finished. */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { native } from '../../src/snapshot/fs/native.js';
import { readXattrs } from '../../src/snapshot/fs/xattrs.js';
import { writeBlobs, type FileFinish, type WriteBlob, type WriteTarget } from '../../src/snapshot/restore/write-blobs.js';

const tasks = new BlobTasks({ encKey: randomBytes(32), idKey: randomBytes(32) });
const keys = tasks.nativeKeys;
const dir = mkdtempSync(join(tmpdir(), 'rozen-write-blobs-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const path = (name: string): Buffer => Buffer.from(join(dir, name));

/** Seals `datas` one after another, as a pack holds them; `targets[i]` are where blob i goes. */
function pack(datas: readonly Uint8Array[], targets: readonly (readonly WriteTarget[])[]): { sealed: Buffer; blobs: WriteBlob[] } {
  const parts = datas.map((data, i) => tasks.seal({ op: 'seal', data, level: i % 2 === 0 ? 3 : false }));
  let at = 0;
  const blobs = parts.map((p, i) => {
    const blob = { id: p.id, at, length: p.sealed.length, rawLength: p.rawLength, targets: targets[i] ?? [] };
    at += p.sealed.length;
    return blob;
  });
  return { sealed: Buffer.concat(parts.map((p) => p.sealed)), blobs };
}

const finish = (over: Partial<FileFinish>): FileFinish => ({
  size: 0,
  uid: process.getuid?.() ?? 0,
  gid: process.getgid?.() ?? 0,
  mode: 0o640,
  atime: [5, 6],
  mtime: [1_700_000_000, 123_456_789],
  xattrs: [],
  ...over,
});

t.test('a single-blob file is created, written and finished; a file of several blobs is written in place', async (t) => {
  const one = randomBytes(10_000);
  const a = Buffer.alloc(70_000, 'a');
  const b = randomBytes(5000);
  writeFileSync(path('multi'), '');
  writeFileSync(path('one'), 'longer old content that is truncated away, with an old xattr');
  native().lsetxattr(path('one'), 'user.stale', Buffer.from('old'));
  const { sealed, blobs } = pack(
    [one, a, b],
    [
      [
        {
          path: path('one'),
          offset: 0,
          create: true,
          sparse: false,
          finish: finish({ size: one.length, mode: 0o4751, xattrs: [['user.k', Buffer.from('v')]] }),
        },
      ],
      [{ path: path('multi'), offset: 0, create: false, sparse: false }],
      [
        { path: path('multi'), offset: a.length, create: false, sparse: false },
        { path: path('copy'), offset: 0, create: true, sparse: false, finish: finish({ size: b.length }) },
      ],
    ],
  );
  const out = await writeBlobs(keys, sealed, blobs);
  t.same(
    out.map((o) => o.problem),
    ['', '', ''],
  );
  t.same(
    out.flatMap((o) => o.targets),
    [{ warnings: [] }, { warnings: [] }, { warnings: [] }, { warnings: [] }],
  );
  const st = lstatSync(path('one'), { bigint: true });
  t.same(readFileSync(path('one')), one);
  t.same(readFileSync(path('multi')), Buffer.concat([a, b]));
  t.same(readFileSync(path('copy')), b);
  t.equal(Number(st.mode) & 0o7777, 0o4751, 'mode set after the owner: setuid kept');
  t.equal(st.mtimeNs, 1_700_000_000_123_456_789n);
  t.equal(st.atimeNs, 5_000_000_006n);
  t.same(readXattrs(path('one')), [['user.k', Buffer.from('v')]], 'xattrs made exact');
});

t.test('sparse targets leave whole zero blocks as holes; the size is set by truncating', async (t) => {
  const data = Buffer.alloc(1 << 20);
  data.fill(7, 0, 10);
  data.fill(9, data.length - 4096, data.length - 4000);
  const { sealed, blobs } = pack(
    [data],
    [[{ path: path('sparse'), offset: 0, create: true, sparse: true, finish: finish({ size: 3 << 20 }) }]],
  );
  const [o] = await writeBlobs(keys, sealed, blobs);
  t.same(o?.targets, [{ warnings: [] }]);
  const st = lstatSync(path('sparse'));
  t.equal(st.size, 3 << 20);
  t.ok(st.blocks * 512 <= 64 * 1024, `allocated ${st.blocks * 512} bytes`);
  const back = readFileSync(path('sparse'));
  t.same(back.subarray(0, data.length), data);
  t.ok(back.subarray(data.length).every((x) => x === 0));
});

t.test('sparse writes at any offset give the same bytes as plain writes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9000 })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 10_000 }),
      async (runs, offset) => {
        const data = Buffer.concat(runs.map(([kind, n]) => (kind === 0 ? randomBytes(n) : Buffer.alloc(n))));
        writeFileSync(path('p-sparse'), '');
        writeFileSync(path('p-plain'), '');
        const { sealed, blobs } = pack(
          [data],
          [
            [
              { path: path('p-sparse'), offset, create: false, sparse: true },
              { path: path('p-plain'), offset, create: false, sparse: false },
            ],
          ],
        );
        await writeBlobs(keys, sealed, blobs);
        const sparse = readFileSync(path('p-sparse'));
        const want = readFileSync(path('p-plain')).subarray(offset);
        return (
          sparse.length <= offset + data.length &&
          Buffer.concat([sparse, Buffer.alloc(offset + data.length - sparse.length)])
            .subarray(offset)
            .equals(want)
        );
      },
    ),
    { numRuns: 60 },
  );
});

t.test('failures: per target with the step and errno; a damaged blob touches none of its targets', async (t) => {
  symlinkSync('/nonexistent', path('link'));
  const { sealed, blobs } = pack(
    [Buffer.from('x'), Buffer.from('y')],
    [
      [
        { path: path('missing-dir/f'), offset: 0, create: true, sparse: false },
        { path: path('link'), offset: 0, create: true, sparse: false },
        { path: path('absent'), offset: 0, create: false, sparse: false },
        {
          path: path('fine'),
          offset: 0,
          create: true,
          sparse: false,
          finish: finish({ size: 1, xattrs: [['bogus.ns', Buffer.from('v')]] }),
        },
      ],
      [{ path: path('untouched'), offset: 0, create: true, sparse: false }],
    ],
  );
  sealed[(blobs[1] as WriteBlob).at + 30]! ^= 1;
  const [x, y] = await writeBlobs(keys, sealed, blobs);
  t.equal(x?.problem, '');
  t.match(x?.targets[0]?.error, {
    code: 'ENOENT',
    syscall: 'open',
    message: /^ENOENT: no such file or directory, open '.*missing-dir\/f'$/,
  });
  t.match(x?.targets[1]?.error, { code: 'ELOOP', syscall: 'open' }, 'never through a symlink');
  t.match(x?.targets[2]?.error, { code: 'ENOENT' }, 'a file of several blobs must exist');
  t.equal(x?.targets[3]?.error, undefined);
  t.match(x?.targets[3]?.warnings, [/^cannot restore xattrs: (ENOTSUP|EOPNOTSUPP): .*fsetxattr/], 'an unsupported xattr is a warning');
  t.equal(lstatSync(path('fine')).mode & 0o7777, 0o640, 'the rest still applied');
  t.match(y?.problem, /is corrupt/);
  t.throws(() => lstatSync(path('untouched')), { code: 'ENOENT' });
});

t.test('malformed layouts are refused', async (t) => {
  const { sealed, blobs } = pack([Buffer.from('z')], [[{ path: Buffer.from('bad\0path'), offset: 0, create: true, sparse: false }]]);
  const [o] = await writeBlobs(keys, sealed, blobs);
  t.match(o?.targets[0]?.error, { syscall: 'arguments', code: 'EINVAL' });
  const [short] = await writeBlobs(keys, sealed.subarray(0, 10), blobs);
  t.match(short?.problem, /too short/);
  const add = (await import('../../src/core/addon.js')).addon() as { writeBlobs: (...a: unknown[]) => unknown };
  t.throws(() => add.writeBlobs(keys, sealed), TypeError);
});
