/**
 * Measures the mount: `ls -lR`, `cat` of a 512 MiB file, `rsync -a` of ~5,000 small files.
 * Run: node --import=@tapjs/typescript/import test/fuse/bench/mount-bench.ts [blobDelayMs]
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { mountSnapshots } from '../../../src/fuse/mount.js';
import type { Node } from '../../../src/snapshot/node.js';
import { baseNode, dirNode, fileNode, MemorySource, pseudoRandom } from '../memory-source.js';
import { run, tempDir } from '../shell.js';

const MiB = 1024 * 1024;
const delayMs = Number(process.argv[2] ?? 0);

function buildSource(): MemorySource {
  const source = new MemorySource();
  source.delayMs = delayMs;
  const dirs: Node[] = [];
  for (let d = 0; d < 50; d++) {
    const files: Node[] = [];
    for (let f = 0; f < 100; f++) files.push(fileNode(source, `file-${f}.txt`, [pseudoRandom(4096, d * 100 + f + 1)]));
    dirs.push(dirNode(source, `dir-${d}`, files));
  }
  const chunk = pseudoRandom(2 * MiB, 99);
  const ids = Array.from({ length: 256 }, () => source.addBlob(() => chunk));
  const big = baseNode('big.bin', { size: 512 * MiB, allocated: 512 * MiB, content: ids, sizes: ids.map(() => 2 * MiB) });
  source.addSnapshot(source.addTree([dirNode(source, 'tree', dirs), dirNode(source, 'large', [big])]));
  return source;
}

async function timed(label: string, cmd: string, args: string[]): Promise<void> {
  const start = performance.now();
  const r = await run('sh', ['-c', `${cmd} ${args.map((a) => `'${a}'`).join(' ')} > /dev/null`], 600_000);
  const s = ((performance.now() - start) / 1000).toFixed(2);
  process.stdout.write(`${label.padEnd(40)} ${s} s${r.code ? ` (exit ${r.code}: ${r.stderr.slice(0, 200)})` : ''}\n`);
}

const mnt = await tempDir('rozen-bench-');
const dest = await tempDir('rozen-bench-dest-');
const source = buildSource();
const began = performance.now();
const handle = await mountSnapshots(source, mnt, { log: (l) => process.stderr.write(`${l}\n`) });
process.stdout.write(`mount (blob delay ${delayMs} ms)${' '.repeat(14)} ${((performance.now() - began) / 1000).toFixed(2)} s\n`);
try {
  const snap = path.join(mnt, 'snapshots', 'latest');
  const byTime = path.join(mnt, 'snapshots', '2024-05-01T10:00:00');
  await timed('ls -lR (first)', 'ls', ['-lR', `${byTime}/`]);
  await timed('ls -lR (second)', 'ls', ['-lR', `${byTime}/`]);
  await timed('ls -lR through latest', 'ls', ['-lR', `${snap}/`]);
  await timed('cat 512 MiB file', 'cat', [path.join(snap, 'large', 'big.bin')]);
  await timed('cat 512 MiB file (kernel cache)', 'cat', [path.join(snap, 'large', 'big.bin')]);
  await timed('rsync -a of 5,000 files of 4 KiB', 'rsync', ['-a', `${snap}/tree/`, `${dest}/`]);
  process.stdout.write(`source reads: ${source.blobReads.length} blobs, ${source.treeLoads} trees\n`);
} finally {
  await handle.unmount();
  await rm(mnt, { recursive: true, force: true });
  await rm(dest, { recursive: true, force: true });
}
