/** The batched directory scan (native scanDir, scanNames, ChildScans): same nodes as scanEntry, per-entry errors, batches. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChildScans } from '../../src/snapshot/fs/child-scans.js';
import { SCAN_BATCH, scanNames } from '../../src/snapshot/fs/dir-scan.js';
import { SCAN_FIELDS, native } from '../../src/snapshot/fs/native.js';
import { type ScannedNode, scanEntry } from '../../src/snapshot/fs/scan.js';
import { XATTRS_UNREAD } from '../../src/snapshot/fs/xattrs.js';
import { walk } from '../../src/snapshot/fs/walk.js';
import { NON_UTF8_TARGET, buildFixture, p } from './fs-fixture.js';

const run = promisify(execFile);
const base = await mkdtemp(join(tmpdir(), 'rzscan-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
const asRoot = process.getuid?.() === 0;

/** Switches the effective uid (process.seteuid exists on POSIX only). */
function seteuid(id: number): void {
  if (process.seteuid === undefined) throw new Error('process.seteuid is not available on this platform');
  process.seteuid(id);
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('did not reject');
}

async function names(dir: string): Promise<Buffer[]> {
  return (await readdir(dir, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
}

t.test('every kind of entry scans exactly as scanEntry scans it', async (t) => {
  const dir = join(base, 'fx');
  await mkdir(dir);
  await buildFixture(dir);
  const all = await names(dir);
  const batched = await scanNames(Buffer.from(dir), all);
  t.equal(batched.length, all.length);
  // Reading a symlink (by the batched scan, just now) updates its atime, which scanEntry would then see.
  const sansLinkAtime = (n: unknown): unknown => ((n as ScannedNode).type === 'symlink' ? { ...(n as ScannedNode), atimeNs: 0n } : n);
  for (const [i, name] of all.entries()) {
    const one = await scanEntry(p(dir, name), name);
    t.strictSame(sansLinkAtime(batched[i]), sansLinkAtime(one), name.toString('latin1'));
  }
  const kinds = new Set(batched.map((n) => (n as ScannedNode).type));
  t.same([...kinds].sort(), ['blockdev', 'chardev', 'dir', 'fifo', 'file', 'socket', 'symlink']);
});

t.test('a vanished name fails alone, with the error lstat gives', async (t) => {
  const dir = join(base, 'vanish');
  await mkdir(dir);
  await writeFile(join(dir, 'a'), 'a');
  await writeFile(join(dir, 'c'), 'c');
  const [a, gone, c] = await scanNames(
    Buffer.from(dir),
    ['a', 'b', 'c'].map((n) => Buffer.from(n)),
  );
  t.equal((a as ScannedNode).type, 'file');
  t.equal((c as ScannedNode).type, 'file');
  const expected = await rejection(lstat(join(dir, 'b'), { bigint: true }));
  t.ok(gone instanceof Error);
  const err = gone as NodeJS.ErrnoException;
  t.equal(err.message, expected.message);
  t.same(
    { code: err.code, errno: err.errno, syscall: err.syscall, path: err.path },
    { code: 'ENOENT', errno: -2, syscall: 'lstat', path: join(dir, 'b') },
  );
});

t.test('a directory that cannot be opened: each entry gets the error of its own lstat', async (t) => {
  const dir = join(base, 'never-made');
  const raw = await native().scanDir(Buffer.from(dir), [Buffer.from('x'), Buffer.from('y')]);
  t.equal(raw.stats[0], 2);
  t.equal(raw.stats[SCAN_FIELDS], 2);
  t.same(
    raw.errors?.map((e) => e?.message),
    [`ENOENT: no such file or directory, lstat '${dir}/x'`, `ENOENT: no such file or directory, lstat '${dir}/y'`],
  );
  t.equal(raw.links, null);
  t.equal(raw.xattrs, null);
});

t.test('symlink targets, and xattrs of a symlink itself (not of its target)', async (t) => {
  const dir = join(base, 'links');
  await mkdir(dir);
  await writeFile(join(dir, 'target'), 'x');
  native().lsetxattr(p(dir, 'target'), 'user.target', Buffer.from('of the target'));
  await symlink('target', join(dir, 'rel'));
  await symlink(NON_UTF8_TARGET, join(dir, 'dangling'));
  await symlink('/'.repeat(1) + 'x'.repeat(3000), join(dir, 'long'));
  native().lsetxattr(p(dir, 'rel'), 'trusted.onlink', Buffer.from('on the link'));
  const list = ['dangling', 'long', 'rel', 'target'].map((n) => Buffer.from(n));
  const raw = await native().scanDir(Buffer.from(dir), list);
  t.equal(raw.errors, null);
  t.same(
    raw.links?.map((l) => l?.toString('latin1')),
    [NON_UTF8_TARGET.toString('latin1'), '/' + 'x'.repeat(3000), 'target', undefined],
  );
  t.same(raw.xattrs?.[2], [['trusted.onlink', Buffer.from('on the link')]]);
  t.same(raw.xattrs?.[3], [['user.target', Buffer.from('of the target')]]);
  t.equal(raw.xattrs?.[0], undefined);
  const nodes = (await scanNames(Buffer.from(dir), list)) as ScannedNode[];
  t.equal(nodes[2]!.size, 'target'.length, "a symlink's size is its target's length");
  t.notOk('xattrs' in nodes[0]!);
});

t.test('xattrs are sorted by name bytes; names that are not UTF-8 are skipped as readXattrs skips them', async (t) => {
  const dir = join(base, 'xattrs');
  await mkdir(dir);
  await writeFile(join(dir, 'f'), '');
  for (const name of ['user.b', 'user.a', 'user.\u00e9', 'user.Z', 'user.empty']) {
    native().lsetxattr(p(dir, 'f'), name, Buffer.from(name === 'user.empty' ? '' : name));
  }
  await run('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], b"user.\\xff", b"v")', join(dir, 'f')]);
  const [node] = (await scanNames(Buffer.from(dir), [Buffer.from('f')])) as ScannedNode[];
  t.same(
    node!.xattrs?.map(([n]) => n),
    ['user.Z', 'user.a', 'user.b', 'user.empty', 'user.\u00e9'],
  );
  t.same(node!.xattrs?.[3]?.[1], Buffer.alloc(0));
  t.strictSame(node, await scanEntry(p(dir, 'f'), Buffer.from('f')));
});

t.test('with xattrsBefore, entries changed before it are scanned without their xattrs, the rest as ever', async (t) => {
  const dir = join(base, 'before');
  await mkdir(dir);
  for (const name of ['old', 'new', 'link-target']) {
    await writeFile(join(dir, name), name);
    native().lsetxattr(p(dir, name), 'user.k', Buffer.from(name));
  }
  await symlink('link-target', join(dir, 'link'));
  const list = ['link', 'new', 'old'].map((n) => Buffer.from(n));
  const ctimes = await Promise.all(list.map(async (n) => (await lstat(join(dir, n.toString()), { bigint: true })).ctimeNs));
  // Cut just above old's ctime: only it (and the link, when its ctime is no later) goes unread.
  const [, , oldCtime = 0n] = ctimes;
  const before = oldCtime + 1n;
  const raw = await native().scanDir(Buffer.from(dir), list, before);
  const want = ctimes.map((c) => (c < before ? 1 : 0));
  t.same([...(raw.unread ?? [])], want);
  t.equal(raw.xattrs?.[2], undefined, "old's xattrs not read");
  t.equal(raw.links?.[0]?.toString(), 'link-target', 'a symlink is still read');
  const nodes = (await scanNames(Buffer.from(dir), list, undefined, before)) as ScannedNode[];
  t.equal(nodes[2]?.xattrs, XATTRS_UNREAD);
  // Far in the past: nothing skipped, exactly what a scan without it gives.
  const all = await native().scanDir(Buffer.from(dir), list, -(2n ** 63n));
  t.equal(all.unread, null);
  t.strictSame(await scanNames(Buffer.from(dir), list, undefined, -(2n ** 63n)), await scanNames(Buffer.from(dir), list));
  t.same(all.xattrs?.[1], [['user.k', Buffer.from('new')]]);
  // Far ahead: every entry unread, none of the stat fields lost.
  const none = await native().scanDir(Buffer.from(dir), list, 2n ** 63n - 1n);
  t.same([...(none.unread ?? [])], [1, 1, 1]);
  t.equal(none.xattrs, null);
  t.same(none.stats, all.stats);
  // A vanished entry is an error, never "unread".
  const gone = await native().scanDir(Buffer.from(dir), [Buffer.from('gone'), Buffer.from('old')], 2n ** 63n - 1n);
  t.same([...(gone.unread ?? [])], [0, 1]);
  t.equal((gone.errors?.[0] as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
});

t.test("times are lstat's ns times, exactly, also before 1970", async (t) => {
  const dir = join(base, 'times');
  await mkdir(dir);
  const cases: [string, number, number][] = [
    ['odd', 1_234_567_890, 123_456_789],
    ['pre1970', -86_400 * 365 - 1, 999_999_999],
    ['far', 9_000_000_000, 1],
    ['zero', 0, 0],
  ];
  for (const [name, sec, nsec] of cases) {
    await writeFile(join(dir, name), '');
    native().utimensat(p(dir, name), sec, nsec, sec, nsec, true);
  }
  const list = cases.map(([name]) => Buffer.from(name));
  const raw = await native().scanDir(Buffer.from(dir), list);
  for (const [i, [name]] of cases.entries()) {
    const st = await lstat(join(dir, name), { bigint: true });
    t.same([raw.times[i * 3], raw.times[i * 3 + 1], raw.times[i * 3 + 2]], [st.atimeNs, st.mtimeNs, st.ctimeNs], name);
  }
  t.equal(raw.times[1 * 3 + 1], -(86_400n * 365n + 1n) * 1_000_000_000n + 999_999_999n);
});

t.test('paths of PATH_MAX bytes or more fail like lstat of the full path', async (t) => {
  let dir = join(base, 'long');
  while (dir.length < 3900) dir = join(dir, 'd'.repeat(200));
  await mkdir(dir, { recursive: true });
  const name = 'n'.repeat(4100 - dir.length);
  await run('touch', [name], { cwd: dir });
  t.teardown(() => run('rm', [name], { cwd: dir }));
  const [node] = await scanNames(Buffer.from(dir), [Buffer.from(name)]);
  const expected = await rejection(lstat(join(dir, name), { bigint: true }));
  t.equal((node as Error).message, expected.message);
  t.equal((node as NodeJS.ErrnoException).code, 'ENAMETOOLONG');
});

t.test('bad arguments throw a TypeError', async (t) => {
  const n = native();
  t.throws(() => n.scanDir('/tmp' as unknown as Buffer, []), TypeError);
  t.throws(() => n.scanDir(Buffer.from('/tmp'), [Buffer.from('a/b')]), TypeError);
  t.throws(() => n.scanDir(Buffer.from('/tmp'), ['a' as unknown as Buffer]), TypeError);
  t.throws(() => n.scanDir(Buffer.from('/tmp'), [], 5 as unknown as bigint), TypeError, 'xattrsBefore not a BigInt');
  t.throws(() => n.scanDir(Buffer.from('/tmp'), [], 2n ** 64n), TypeError, 'xattrsBefore past int64');
  const empty = await n.scanDir(Buffer.from('/tmp'), []);
  t.equal(empty.stats.length, 0);
});

t.test('a directory of more than one batch: every entry, in order, through ChildScans and the walk', async (t) => {
  const dir = join(base, 'big');
  await mkdir(dir);
  const count = 2 * SCAN_BATCH + 77;
  const all = Array.from({ length: count }, (_, i) => `f${String(i).padStart(5, '0')}`);
  await Promise.all(all.map((n) => writeFile(join(dir, n), n)));
  await rm(join(dir, all[SCAN_BATCH + 3]!));
  const children = all.map((n) => ({ name: Buffer.from(n), isDir: false }));
  const offered: string[] = [];
  const exclude = (path: Buffer): boolean => {
    offered.push(path.toString());
    return path.toString().endsWith('7');
  };
  const scans = new ChildScans(Buffer.from(dir), children, { exclude, descends: () => false });
  t.equal(offered.length, count, 'exclude is asked about every child when the directory is opened');
  t.equal(scans.ready(0), undefined, 'a scan is not ready before its batch has finished');
  t.same(scans.ready(7), { path: Buffer.from(join(dir, all[7] as string)) }, 'an excluded child is, at once');
  const seen = await Promise.all(children.map((_, i) => scans.get(i)));
  t.same(
    children.map((_, i) => scans.ready(i)),
    seen,
    'once its batch has finished, every scan is ready, as get gives it',
  );
  for (const [i, scan] of seen.entries()) {
    t.equal(scan.path.toString(), join(dir, all[i]!));
    if (all[i]!.endsWith('7')) t.ok(scan.node === undefined && scan.error === undefined, 'excluded');
    else if (i === SCAN_BATCH + 3) t.equal((scan.error as NodeJS.ErrnoException).code, 'ENOENT');
    else t.equal(scan.node?.size, all[i]!.length);
  }
  const walked: string[] = [];
  const errors: string[] = [];
  const onError = (path: Buffer, err: Error): void => void errors.push(`${path.toString()} ${(err as NodeJS.ErrnoException).code}`);
  for await (const e of walk([dir], { onError, exclude })) if (e.kind === 'entry') walked.push(e.node.name.toString());
  t.same(
    walked,
    all.filter((n, i) => !n.endsWith('7') && i !== SCAN_BATCH + 3),
  );
  t.same(errors, []);
});

t.test('an exclude that throws is reported for that child only', async (t) => {
  const dir = join(base, 'big');
  const children = [Buffer.from('f00000'), Buffer.from('f00001')].map((name) => ({ name, isDir: false }));
  const exclude = (path: Buffer): boolean => {
    if (path.toString().endsWith('0')) throw new Error('bad pattern');
    return false;
  };
  const scans = new ChildScans(Buffer.from(dir), children, { exclude, descends: () => false });
  t.equal((await scans.get(0)).error?.message, 'bad pattern');
  t.equal((await scans.get(1)).node?.type, 'file');
});

t.test(
  'directories listed ahead of the walk report their errors in walk order',
  { skip: asRoot ? false : 'needs root to switch to nobody' },
  async (t) => {
    const dir = join(base, 'ahead');
    for (const d of ['a', 'b', 'c', 'd', 'e']) await mkdir(join(dir, d), { recursive: true, mode: 0o755 });
    for (const d of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(dir, d, 'f'), d);
    await chmod(base, 0o755);
    await chmod(join(dir, 'b'), 0o700);
    await chmod(join(dir, 'd'), 0o700);
    const log: string[] = [];
    const onError = (path: Buffer, err: Error): void =>
      void log.push(`error ${path.toString().replace(dir, '~')} ${(err as NodeJS.ErrnoException).code}`);
    seteuid(65534);
    try {
      for await (const e of walk([dir], { onError })) {
        if (e.path.toString().startsWith(dir)) log.push(`${e.kind} ${e.path.toString().replace(dir, '~')}`);
      }
    } finally {
      seteuid(0);
      await chmod(base, 0o700);
    }
    t.same(log, [
      'enter ~',
      'enter ~/a',
      'entry ~/a/f',
      'leave ~/a',
      'error ~/b EACCES',
      'enter ~/c',
      'entry ~/c/f',
      'leave ~/c',
      'error ~/d EACCES',
      'enter ~/e',
      'entry ~/e/f',
      'leave ~/e',
      'leave ~',
    ]);
  },
);
