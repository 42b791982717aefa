/** Backup-then-restore of every kind of entry and attribute, checked field by field and with rsync. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyMetadata, createSpecial, linkTo } from '../../src/snapshot/fs/restore-meta.js';
import type { ScannedNode } from '../../src/snapshot/fs/scan.js';
import { SparseWriter, dataRanges } from '../../src/snapshot/fs/sparse.js';
import { type WalkEvent, walk } from '../../src/snapshot/fs/walk.js';
import { DEEP, LONG_NAME, NON_UTF8_NAME, NON_UTF8_TARGET, SPARSE_SIZE, buildFixture, makedev, p } from './fs-fixture.js';

const run = promisify(execFile);

interface Entry {
  readonly rel: string;
  readonly node: ScannedNode;
}

async function collect(root: string): Promise<{ events: WalkEvent[]; errors: string[] }> {
  const events: WalkEvent[] = [];
  const errors: string[] = [];
  for await (const e of walk([root], { onError: (path, err) => errors.push(`${path.toString('latin1')}: ${err.message}`) })) {
    events.push(e);
  }
  return { events, errors };
}

/** The entries at and below `root`, keyed by their path relative to it (latin1 keeps bytes). */
function below(events: readonly WalkEvent[], root: string): Map<string, Entry> {
  const prefix = Buffer.from(root);
  const out = new Map<string, Entry>();
  for (const e of events) {
    if (e.kind === 'leave' || !e.path.subarray(0, prefix.length).equals(prefix)) continue;
    const rel = e.path.subarray(prefix.length).toString('latin1');
    if (rel !== '' && !rel.startsWith('/')) continue;
    out.set(rel, { rel, node: e.node });
  }
  return out;
}

/** Restores the walked entries of `src` into `dst` the way a restore command would, minus the repository. */
async function restore(events: readonly WalkEvent[], src: string, dst: string): Promise<void> {
  const srcBytes = Buffer.from(src);
  const linked = new Map<string, Buffer>();
  for (const e of events) {
    if (!e.path.subarray(0, srcBytes.length).equals(srcBytes)) continue;
    const rel = e.path.subarray(srcBytes.length);
    if (rel.length > 0 && rel[0] !== 0x2f) continue;
    const target = Buffer.concat([Buffer.from(dst), rel]);
    if (e.kind === 'leave') await applyMetadata(target, e.node);
    else if (e.kind === 'enter') await createSpecial(target, e.node);
    else if (e.node.type !== 'file') {
      await createSpecial(target, e.node);
      await applyMetadata(target, e.node);
    } else {
      const key = `${e.node.device}:${e.node.inode}`;
      const first = linked.get(key);
      if (first !== undefined) {
        await linkTo(first, target);
        continue;
      }
      if (e.node.links > 1) linked.set(key, target);
      await copyFile(e.path, target, e.node.size);
      await applyMetadata(target, e.node);
    }
  }
}

/** Everything a restore can reproduce (not ctime, device, inode, allocated). */
function comparable(n: ScannedNode): Record<string, unknown> {
  const { name, type, mode, uid, gid, user, group, mtimeNs, atimeNs, size, links, rdev, linkTarget, xattrs } = n;
  return { name, type, mode, uid, gid, user, group, mtimeNs, atimeNs, size, links, rdev, linkTarget, xattrs };
}

async function copyFile(from: Buffer, to: Buffer, size: number): Promise<void> {
  const input = await open(from, 'r');
  const output = await open(to, 'wx', 0o600);
  const writer = new SparseWriter(output);
  for (const range of dataRanges(input.fd, size)) {
    for (let off = range.offset; off < range.offset + range.length; off += 1 << 20) {
      const len = Math.min(1 << 20, range.offset + range.length - off);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await input.read(buf, 0, len, off);
      await writer.write(buf.subarray(0, bytesRead), off);
    }
  }
  await writer.finish(size);
  await Promise.all([input.close(), output.close()]);
}

const base = await mkdtemp(join(tmpdir(), 'rzfs-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
const src = join(base, 'src');
const dst = join(base, 'dst');
await mkdir(src);
await buildFixture(src);
const backup = await collect(src);
await restore(backup.events, src, dst);
const before = below(backup.events, src);
const after = below((await collect(dst)).events, dst);

t.test('the walk saw everything without errors', async (t) => {
  t.same(backup.errors, []);
  const key = (name: string | Buffer): string => `/${Buffer.from(name).toString('latin1')}`;
  t.ok(before.has(key(NON_UTF8_NAME)), 'non-UTF-8 name');
  t.ok(before.has(key('new\nline')), 'newline in a name');
  t.ok(before.has(key('\u00e9')) && before.has(key('e\u0301')), 'NFC and NFD names stay distinct');
  t.ok(before.has(key(LONG_NAME)), '255-byte UTF-8 name');
  t.ok(before.has(key('x'.repeat(255))), '255-byte ASCII name');
  t.ok(
    [...before.keys()].some((k) => k.split('/').length === DEEP + 2 && k.endsWith('/bottom')),
    '100-deep chain',
  );
  t.equal(before.size, after.size);
});

t.test('scan records exact metadata', async (t) => {
  const get = (rel: string): ScannedNode => before.get(rel)!.node;
  t.equal(get('/plain.txt').mtimeNs, 1_234_567_890_123_456_789n);
  t.equal(get('/plain.txt').atimeNs, 1_000_000_000_000_000_001n);
  t.equal(get('/empty').mtimeNs, -86_400n * 365n * 1_000_000_000n + 999_999_999n, 'pre-1970 time');
  t.equal(get('/random.bin').mtimeNs, 4_000_000_000_000_000_042n, 'after 2038');
  t.equal(get('').mtimeNs, 1_300_000_001_000_000_018n, 'root directory');
  t.match(get('/plain.txt'), { uid: 1234, gid: 5678, size: 6, type: 'file' });
  t.equal(get('/setuid').mode, 0o4755);
  t.equal(get('/setgid').mode, 0o2711);
  t.equal(get('/sticky').mode, 0o1777);
  t.equal(get('/sgid-dir').mode, 0o2770);
  t.equal(get('/null').rdev, makedev(1, 3));
  t.equal(get('/loop200').rdev, makedev(7, 200));
  t.equal(get('/loop200').type, 'blockdev');
  t.equal(get('/sock').type, 'socket');
  t.equal(get('/fifo').type, 'fifo');
  t.same(get('/link-dangling').linkTarget, NON_UTF8_TARGET);
  t.equal(get('/link-dangling').size, NON_UTF8_TARGET.length);
  t.equal(get('/hl-a').links, 3);
  t.same(
    get('/plain.txt').xattrs?.map(([k]) => k),
    ['trusted.secret', 'user.binary', 'user.comment', 'user.empty'],
  );
  t.equal(get('/sparse.img').size, SPARSE_SIZE);
  t.ok(get('/sparse.img').allocated <= 3 * 1024 * 1024, 'source is sparse');
  t.equal(get('/plain.txt').user, undefined, 'uid 1234 has no name here');
  t.equal(get('/sub').user, 'root');
});

t.test('every field round-trips', async (t) => {
  t.same([...after.keys()], [...before.keys()], 'same names in the same order');
  for (const [rel, { node: a }] of before) {
    const b = after.get(rel)?.node;
    if (b === undefined) continue;
    const named = (n: ScannedNode): Record<string, unknown> => ({ ...comparable(n), name: rel === '' ? '(root)' : n.name });
    t.same(named(b), named(a), JSON.stringify(rel));
  }
});

t.test('hardlink structure and sparseness are kept', async (t) => {
  const groups = (m: Map<string, Entry>): string[][] => {
    const byInode = new Map<string, string[]>();
    for (const { rel, node } of m.values()) {
      if (node.type === 'dir') continue;
      const key = `${node.device}:${node.inode}`;
      byInode.set(key, [...(byInode.get(key) ?? []), rel]);
    }
    return [...byInode.values()].filter((g) => g.length > 1);
  };
  t.same(groups(after), groups(before));
  t.same(groups(after), [['/hl-a', '/hl-c', '/sub/hl-b']]);
  const st = await lstat(p(dst, 'sparse.img'));
  t.equal(st.size, SPARSE_SIZE);
  t.ok(st.blocks * 512 <= 3 * 1024 * 1024, `restored sparse file allocates ${st.blocks * 512} bytes`);
  t.same(await readFile(p(dst, 'sparse.img')), await readFile(p(src, 'sparse.img')), 'same bytes');
  t.same(await readFile(p(dst, 'random.bin')), await readFile(p(src, 'random.bin')));
});

t.test('rsync -aHAXS sees no difference', async (t) => {
  const { stdout, stderr } = await run('rsync', ['-aHAXS', '--numeric-ids', '--dry-run', '--itemize-changes', `${src}/`, `${dst}/`]);
  t.equal(stdout, '', 'no itemized changes');
  t.equal(stderr, '');
});
