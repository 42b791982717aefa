/**
 * Large directories listed through a real mount by several listers at once, each in its own random
 * order (listings are encoded ahead of their requests, and trees loaded ahead of their directories):
 * every lister sees every entry with the attributes the snapshot recorded, under one inode number.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { mountSnapshots } from '../../src/fuse/mount.js';
import type { Node } from '../../src/snapshot/node.js';
import { baseNode, dirNode, fileNode, MemorySource } from './memory-source.js';
import { fuseSkipReason, run, tempDir } from './shell.js';

/** Walks the tree under argv[1] in an order drawn from seed argv[2], like `ls -l`: a listing, then lstat of each entry. */
const WALKER = `
import os, random, sys
root, rng = sys.argv[1], random.Random(int(sys.argv[2]))
todo = [root]
while todo:
    d = todo.pop(rng.randrange(len(todo)))
    names = [e.name for e in os.scandir(d)]
    rng.shuffle(names)
    for n in names:
        p = os.path.join(d, n)
        st = os.lstat(p)
        print(f"{os.path.relpath(p, root)}\\t{st.st_size}\\t{st.st_mtime_ns}\\t{st.st_mode:o}\\t{st.st_ino}")
        if os.path.isdir(p) and not os.path.islink(p):
            todo.append(p)
`;

/** Directories of 300–900 entries, names of 1–120 bytes, each entry with its own size, time and mode. */
function buildSource(): { source: MemorySource; expected: string[] } {
  const source = new MemorySource();
  const expected: string[] = [];
  const line = (p: string, n: Node, mode: number): number => expected.push(`${p}\t${n.size}\t${n.mtimeNs}\t${mode.toString(8)}`);
  let x = 12345;
  const next = (m: number): number => ((x = (x * 1103515245 + 12345) >>> 0), x % m);
  const dirs: Node[] = [];
  for (let d = 0; d < 12; d++) {
    const children: Node[] = [];
    const count = 300 + next(600);
    for (let i = 0; i < count; i++) {
      const name = `${String(i).padStart(4, '0')}-${'n'.repeat(next(116))}`;
      const mtimeNs = BigInt(1_600_000_000 + d * 10_000 + i) * 1_000_000_000n + BigInt(next(1_000_000_000));
      if (i % 50 === 7) {
        const inner = [fileNode(source, 'inner', [Buffer.from(name)], { mtimeNs })];
        const sub = dirNode(source, name, inner, { mtimeNs });
        children.push(sub);
        line(`d${d}/${name}`, sub, 0o40755);
        line(`d${d}/${name}/inner`, inner[0] as Node, 0o100644);
      } else {
        const mode = [0o644, 0o600, 0o755][next(3)] as number;
        const file = baseNode(name, { size: next(1 << 20), mtimeNs, mode });
        children.push(file);
        line(`d${d}/${name}`, file, 0o100000 | mode);
      }
    }
    const dir = dirNode(source, `d${d}`, children, { mtimeNs: 1_600_000_000_000_000_000n });
    dirs.push(dir);
    line(`d${d}`, dir, 0o40755);
  }
  source.addSnapshot(source.addTree(dirs), { time: '2024-05-01T10:00:00Z' });
  return { source, expected: expected.sort() };
}

t.test('large directories listed at once in random orders match the snapshot', { skip: fuseSkipReason() }, async (t) => {
  const { source, expected } = buildSource();
  const mnt = await tempDir('rozen-mnt-');
  const logs: string[] = [];
  const handle = await mountSnapshots(source, mnt, { log: (l) => logs.push(l), treeCacheBytes: 2 << 20 });
  t.teardown(async () => {
    await handle.unmount();
    await rm(mnt, { recursive: true, force: true });
  });
  const root = path.join(mnt, 'snapshots', '2024-05-01T10:00:00');
  const walks = await Promise.all([1, 2, 3, 4].map((seed) => run('python3', ['-c', WALKER, root, String(seed)], 120_000)));
  const ls = await run('ls', ['-lR', root]);
  t.equal(ls.code, 0, ls.stderr);
  t.equal(ls.stdout.split('\n').filter((l) => /^[-d]/.test(l)).length, expected.length, 'ls -lR lists every entry');
  const inodes = new Map<string, string>();
  for (const [i, w] of walks.entries()) {
    t.equal(w.code, 0, w.stderr);
    const lines = w.stdout.split('\n').filter(Boolean);
    t.same(lines.map((l) => l.split('\t').slice(0, 4).join('\t')).sort(), expected, `walker ${i + 1}: every entry, as recorded`);
    for (const l of lines) {
      const [p, , , , ino] = l.split('\t') as [string, string, string, string, string];
      if ((inodes.get(p) ?? ino) !== ino) t.fail(`${p}: inode ${ino} and ${inodes.get(p)}`);
      inodes.set(p, ino);
    }
  }
  t.equal(new Set(inodes.values()).size, expected.length, 'one inode number per entry');
  t.same(logs, []);
});
