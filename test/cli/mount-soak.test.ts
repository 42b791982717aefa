import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { patternBytes } from '../helpers/bytes.js';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { dropPageCache, startMount, stopMount } from '../helpers/mount.js';
import { fuseSkipReason, run } from '../fuse/shell.js';

/**
 * A bounded random walk over a real mount with a small cache: whole-file reads, reads at random offsets
 * (a 40 MiB file among them), stat, listings and `cat`, by eight workers at once, the page cache dropped
 * now and then; every byte read is compared with the source. ROZEN_SOAK_SECONDS sets how long (20 s here;
 * run it for minutes by hand).
 */

const SECONDS = Number(process.env['ROZEN_SOAK_SECONDS'] ?? 20);
const WORKERS = 8;

interface Tree {
  readonly files: string[];
  readonly dirs: string[];
}

async function makeTree(src: string): Promise<Tree> {
  const files: string[] = [];
  for (let i = 0; i < 240; i++) {
    const rel = `d${i % 6}/f${i}`;
    await mkdir(join(src, `d${i % 6}`), { recursive: true });
    const size = i % 10 === 0 ? 200_000 + i * 3001 : 50 + ((i * 7919) % 60_000);
    await writeFile(join(src, rel), i % 2 ? patternBytes(size, i + 1) : Buffer.from(`${i} `.repeat(size).slice(0, size)));
    files.push(rel);
  }
  await writeFile(join(src, 'large.bin'), patternBytes(40 * 1024 * 1024 + 4321, 99));
  files.push('large.bin');
  return { files, dirs: ['', ...Array.from({ length: 6 }, (_, i) => `d${i}`)] };
}

/** A small deterministic generator per worker. */
function rng(seed: number): (n: number) => number {
  let x = seed * 2654435761 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

async function readAt(path: string, pos: number, len: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** One step of the walk: what it did, and a mismatch if there was one. */
async function step(
  src: string,
  root: string,
  tree: Tree,
  pick: (n: number) => number,
): Promise<{ op: string; wrong?: string; bytes: number }> {
  const file = tree.files[pick(tree.files.length)] as string;
  const [here, there] = [join(src, file), join(root, file)];
  switch (pick(5)) {
    case 0: {
      const got = await readFile(there);
      return { op: 'read', bytes: got.length, ...(got.equals(await readFile(here)) ? {} : { wrong: `whole ${file}` }) };
    }
    case 1: {
      const size = (await stat(here)).size;
      const pos = pick(size + 1);
      const len = 1 + pick(pick(2) ? 4096 : 3 * 1024 * 1024);
      const got = await readAt(there, pos, len);
      return {
        op: 'pread',
        bytes: got.length,
        ...(got.equals(await readAt(here, pos, len)) ? {} : { wrong: `${len} at ${pos} of ${file}` }),
      };
    }
    case 2: {
      const [a, b] = await Promise.all([stat(here), stat(there)]);
      return { op: 'stat', bytes: 0, ...(a.size === b.size && a.mtimeMs === b.mtimeMs ? {} : { wrong: `stat of ${file}` }) };
    }
    case 3: {
      const d = tree.dirs[pick(tree.dirs.length)] as string;
      const [a, b] = await Promise.all([readdir(join(src, d)), readdir(join(root, d))]);
      return { op: 'ls', bytes: 0, ...(a.sort().join('/') === b.sort().join('/') ? {} : { wrong: `listing of /${d}` }) };
    }
    default: {
      const r = await run('bash', ['-c', 'cat "$1" | md5sum', 'bash', there]);
      return { op: 'cat', bytes: 0, ...(r.stdout.slice(0, 32) === md5(await readFile(here)) ? {} : { wrong: `cat of ${file}` }) };
    }
  }
}

t.test(
  'a random walk of concurrent reads, listings and stats over the mount reads only the source bytes',
  { skip: fuseSkipReason() },
  async (t) => {
    const { dir, env: withHooks } = await cliSandbox(t);
    // Without tap's coverage hook (NODE_OPTIONS), which slows the mount threefold; other tests cover its code.
    const env = { ...withHooks, NODE_OPTIONS: '' };
    const src = join(dir, 'src');
    const tree = await makeTree(src);
    const repo = join(dir, 'repo');
    t.equal((await rozen(['init', repo], env)).code, 0);
    t.equal((await rozen(['backup', repo, src, '--quiet'], env)).code, 0);
    const m = await startMount(t, repo, dir, env, ['--cache-size', '16M']);
    const root = join(m.mnt, 'snapshots', 'latest', src);
    const until = Date.now() + SECONDS * 1000;
    const counts = new Map<string, number>();
    const wrong: string[] = [];
    let bytes = 0;
    const worker = async (w: number): Promise<void> => {
      const pick = rng(w + 1);
      let nextDrop = Date.now() + 3000;
      while (Date.now() < until && wrong.length < 5) {
        if (w === 0 && Date.now() > nextDrop) {
          await dropPageCache();
          nextDrop = Date.now() + 3000;
        }
        const r = await step(src, root, tree, pick);
        counts.set(r.op, (counts.get(r.op) ?? 0) + 1);
        bytes += r.bytes;
        if (r.wrong !== undefined) wrong.push(r.wrong);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    t.comment(`${[...counts].map(([op, n]) => `${n} ${op}`).join(', ')}; ${(bytes / 1048576).toFixed(0)} MiB compared`);
    t.same(wrong, [], 'every byte read is the source byte');
    t.ok((counts.get('pread') ?? 0) > 0 && (counts.get('read') ?? 0) > 0, 'the walk read');
    const r = await stopMount(m);
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stderr, /failed|corrupt/, 'nothing failed on the way');
  },
);
