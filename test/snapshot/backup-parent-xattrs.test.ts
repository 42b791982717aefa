/**
 * Xattrs taken from the parent snapshot instead of read (parent-xattrs.ts): every backup records the xattrs the
 * source has, whatever was changed, moved or replaced since its parent, and the tree encoder refuses unread ones.
 */
import fc from 'fast-check';
import t from 'tap';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { BlobId } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { Repository } from '../../src/repo/repository.js';
import { findSnapshot } from '../../src/repo/snapshots.js';
import { runBackup } from '../../src/snapshot/backup/backup.js';
import { fillXattrs, xattrsBefore } from '../../src/snapshot/backup/parent-xattrs.js';
import { native } from '../../src/snapshot/fs/native.js';
import { WalkAhead } from '../../src/snapshot/fs/walk-ahead.js';
import { type ScannedNode, scanEntry } from '../../src/snapshot/fs/scan.js';
import { decodeTree, encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import { XATTRS_UNREAD, readXattrs } from '../../src/snapshot/fs/xattrs.js';
import type { Node } from '../../src/snapshot/node.js';

process.env['ROZEN_KDF_N'] = '1024';

const base = await mkdtemp(join(tmpdir(), 'rozen-pxattr-'));
t.teardown(() => rm(base, { recursive: true, force: true }));

const snap = (time: string): Snapshot => ({ time }) as Snapshot;

t.test('xattrsBefore: the parent time less a margin, in ns; none without a parent or with a bad time', async (t) => {
  t.equal(xattrsBefore(snap('2026-01-01T00:00:10.000Z')), BigInt(Date.parse('2026-01-01T00:00:05.000Z')) * 1_000_000n);
  t.equal(xattrsBefore(undefined), undefined);
  t.equal(xattrsBefore(snap('not a time')), undefined);
});

t.test('fillXattrs: the parent entry of the same inode and ctime, else read; scanned xattrs untouched', async (t) => {
  const dir = join(base, 'fill');
  await mkdir(dir);
  await writeFile(join(dir, 'f'), 'x');
  native().lsetxattr(Buffer.from(join(dir, 'f')), 'user.now', Buffer.from('on disk'));
  const path = Buffer.from(join(dir, 'f'));
  const scanned = await scanEntry(path, Buffer.from('f'));
  const unread = (): ScannedNode => ({ ...scanned, xattrs: XATTRS_UNREAD });
  const old: Node = { ...scanned, xattrs: [['user.then', Buffer.from('in the parent')]] };
  const same = unread();
  fillXattrs(same, old, path);
  t.same(same.xattrs, old.xattrs, 'same inode, same ctime: the parent');
  for (const [what, changed] of [
    ['ctime', { ctimeNs: scanned.ctimeNs + 1n }],
    ['inode', { inode: scanned.inode + 1 }],
    ['device', { device: scanned.device + 1 }],
    ['type', { type: 'dir' }],
  ] as const) {
    const n = unread();
    fillXattrs(n, { ...old, ...changed }, path);
    t.same(n.xattrs, [['user.now', Buffer.from('on disk')]], `another ${what}: read from disk`);
  }
  const none = unread();
  const { xattrs: _none, ...without } = old;
  fillXattrs(none, without, path);
  t.notOk('xattrs' in none, 'the parent had none: none, as a scan gives it');
  const read = { ...scanned, xattrs: [['user.scanned', Buffer.from('1')]] as const };
  fillXattrs(read, old, path);
  t.same(read.xattrs, [['user.scanned', Buffer.from('1')]], 'xattrs the scan read stay');
  t.throws(() => fillXattrs(unread(), undefined, Buffer.from(join(dir, 'gone'))), { code: 'ENOENT' }, 'a vanished entry throws');
  t.throws(() => encodeTree([{ ...scanned, xattrs: XATTRS_UNREAD }]), /not read/, 'the encoder refuses unread xattrs');
});

/** Every entry's xattrs in the snapshot, by path below the root given. */
async function snapshotXattrs(repo: Repository, tree: BlobId, at = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of decodeTree(await repo.loadBlob(tree))) {
    const path = `${at}/${n.name.toString()}`;
    out.set(path, JSON.stringify((n.xattrs ?? []).map(([k, v]) => [k, v.toString('hex')])));
    if (n.subtree !== undefined) for (const [k, v] of await snapshotXattrs(repo, n.subtree, path)) out.set(k, v);
  }
  return out;
}

/** The same for the source tree, read from disk. */
async function diskXattrs(root: string, names: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of names) {
    if (!path.startsWith(root)) continue;
    out.set(path, JSON.stringify(readXattrs(Buffer.from(path)).map(([k, v]) => [k, v.toString('hex')])));
  }
  return out;
}

interface Op {
  readonly kind: 'set' | 'remove' | 'rewrite' | 'replace' | 'create' | 'moveDir' | 'moveFile';
  readonly at: number;
  readonly key: number;
  readonly value: string;
}

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('set', 'set', 'remove', 'rewrite', 'replace', 'create', 'moveDir', 'moveFile'),
  at: fc.nat(40),
  key: fc.nat(2),
  value: fc.string({ maxLength: 6 }),
});

t.test('a series of backups, each with its parent xattrs trusted, records what the source has', async (t) => {
  let run = 0;
  // Scans told to leave xattrs unread, counted: the CLI's walk (started ahead) must be told too.
  const n = native();
  const scanDir = n.scanDir.bind(n);
  let cut = 0;
  n.scanDir = (dir, names, before) => {
    if (before !== undefined) cut++;
    return scanDir(dir, names, before);
  };
  t.teardown(() => {
    n.scanDir = scanDir;
  });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.boolean(), async (steps, ahead) => {
      const dir = join(base, `series${run++}`);
      const src = join(dir, 'src');
      const backend = new MemoryBackend();
      await Repository.init(backend, 'pw');
      const repo = await Repository.open(backend, 'pw', { cacheDir: join(dir, 'cache') });
      try {
        const entries = await makeTree(src);
        // Each snapshot claims a time an hour ahead: every entry's ctime is then before the cut, so the walk reads
        // no xattrs of an entry below the root, and each must come from its parent entry or be read when taken.
        let clock = Date.now() + 3_600_000;
        let parent: Snapshot | undefined;
        for (const ops of [[], ...steps]) {
          for (const o of ops) await apply(src, entries, o);
          const time = new Date((clock += 60_000));
          // As the CLI does it: the walk started before the parent is known, and paused after a few events.
          const walk = ahead ? new WalkAhead([src], {}, 2, 2) : undefined;
          const cutBefore = cut;
          const r = await runBackup(repo, { paths: [src], now: () => time, ...(parent && { parent }), ...(walk && { walk }) });
          walk?.stop();
          if (r.counters.errors !== 0) throw new Error(`${r.counters.errors} errors`);
          if (parent !== undefined && cut === cutBefore) throw new Error('no scan left xattrs unread');
          parent = await findSnapshot(repo, 'latest');
          const got = await snapshotXattrs(repo, parent.tree);
          const want = await diskXattrs(src, [...got.keys()]);
          if (want.size !== entries.size + 1) throw new Error(`snapshot has ${want.size} entries below the root, disk ${entries.size + 1}`);
          for (const [path, x] of want) if (got.get(path) !== x) throw new Error(`${path}: snapshot ${got.get(path)}, disk ${x}`);
        }
      } finally {
        await repo.close();
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 12 },
  );
  t.pass('every snapshot held the xattrs of the source');
});

/** A few directories of files, a symlink and a nested directory, some with xattrs; the paths below `src`. */
async function makeTree(src: string): Promise<Set<string>> {
  const entries = new Set<string>();
  await mkdir(join(src, 'd0', 'inner'), { recursive: true });
  await mkdir(join(src, 'd1'));
  for (const d of ['d0', 'd1', 'd0/inner']) {
    for (let f = 0; f < 3; f++) {
      await writeFile(join(src, d, `f${f}`), `${d}${f}`);
      entries.add(join(src, d, `f${f}`));
    }
    entries.add(join(src, d));
  }
  await symlink('f0', join(src, 'd1', 'link'));
  entries.add(join(src, 'd1', 'link'));
  native().lsetxattr(Buffer.from(join(src, 'd0', 'f1')), 'user.a', Buffer.from('start'));
  native().lsetxattr(Buffer.from(join(src, 'd0', 'inner')), 'user.dir', Buffer.from('start'));
  native().lsetxattr(Buffer.from(join(src, 'd1', 'link')), 'trusted.onlink', Buffer.from('start'));
  return entries;
}

/** Applies `o` to the entry it picks (by index, in sorted order) and keeps `entries` up to date. */
async function apply(src: string, entries: Set<string>, o: Op): Promise<void> {
  const all = [...entries].sort();
  const isDir = (p: string): boolean => /\/d\d+$|\/inner$/.test(p);
  const path = all[o.at % all.length] ?? src;
  // trusted.*, not user.*: a symlink takes no user.* xattrs (the tests run as root).
  const key = `trusted.k${o.key}`;
  const n = native();
  switch (o.kind) {
    case 'set':
      n.lsetxattr(Buffer.from(path), key, Buffer.from(o.value));
      return;
    case 'remove':
      if (n.lgetxattr(Buffer.from(path), key) !== null) n.lremovexattr(Buffer.from(path), key);
      return;
    case 'rewrite':
      if (path.endsWith('link') || !/\/f\d+$/.test(path)) return;
      await writeFile(path, o.value);
      return;
    case 'replace':
    case 'create': {
      // A new inode under an old name (replace) or a new name, with an xattr from the start.
      const dirs = all.filter(isDir);
      const target = o.kind === 'replace' && /\/f\d+$/.test(path) ? path : join(dirs[o.at % dirs.length] ?? src, `n${o.at}${o.key}`);
      await writeFile(`${target}.tmp`, o.value);
      n.lsetxattr(Buffer.from(`${target}.tmp`), key, Buffer.from(o.value));
      await rename(`${target}.tmp`, target);
      entries.add(target);
      return;
    }
    case 'moveDir':
    case 'moveFile': {
      // A moved directory's entries keep their ctimes but have no parent entry at their new paths.
      const from = all.filter((p) => (o.kind === 'moveDir' ? /\/d\d+$/.test(p) : /\/f\d+$/.test(p)))[o.at % 3];
      if (from === undefined) return;
      const dirs = all.filter(isDir);
      const to = o.kind === 'moveDir' ? join(src, `d${o.at + 2}`) : join(dirs[o.key % dirs.length] ?? src, `m${o.at}${o.key}`);
      if (entries.has(to)) return;
      await rename(from, to);
      for (const p of [...entries]) {
        if (p === from || p.startsWith(`${from}/`)) {
          entries.delete(p);
          entries.add(to + p.slice(from.length));
        }
      }
      return;
    }
  }
}
