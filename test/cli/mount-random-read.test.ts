import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { patternBytes } from '../helpers/bytes.js';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { dropPageCache, startMount, stopMount } from '../helpers/mount.js';
import { fuseSkipReason, run } from '../fuse/shell.js';

/**
 * Reads through a real mount in shuffled order, by one reader and by sixteen at once, with the default
 * cache and a 16 MiB one, after the page cache is dropped: every file's hash must be the source's. A copy
 * in directory order (rsync, tar) passed while random readers got other files' bytes.
 */

const FILES = 700;
const WORDS = ['async', 'cache', 'await', 'backup', 'wait', 'restore', 'mount', 'blob', 'pack', 'tree'];

/** File `i`: 100 B to 1.5 MB (one in nine over 100 KB), text (compressible) or noise, named and seeded by `i`. */
function contentOf(i: number): Buffer {
  const kind = i % 9 === 4 ? 2 : i % 2;
  const size = [100 + ((i * 37) % 4000), 4000 + ((i * 7919) % 96_000), 100_000 + ((i * 104_729) % 1_400_000)][kind] as number;
  if (i % 3 === 1) return Buffer.from(patternBytes(size, i + 1));
  const words: string[] = [`file ${i}`];
  for (let n = i, len = 0; len < size; n = (n * 1_103_515_245 + 12_345) >>> 0) {
    const w = `${WORDS[n % WORDS.length] as string} ${n}\n`;
    words.push(w);
    len += w.length;
  }
  return Buffer.from(words.join('')).subarray(0, size);
}

async function makeTree(src: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (let i = 0; i < FILES; i++) {
    const rel = `d${i % 23}/s${i % 3}/f${i}.dat`;
    await mkdir(join(src, rel, '..'), { recursive: true });
    const data = contentOf(i);
    await writeFile(join(src, rel), data);
    hashes.set(`./${rel}`, createHash('md5').update(data).digest('hex'));
  }
  return hashes;
}

/** md5sum of every file below `root`, in shuffled order, by `readers` processes at once: path → hash. */
async function shuffledHashes(root: string, readers: number): Promise<Map<string, string>> {
  const script = `cd "$1" && find . -type f | shuf | xargs -d '\\n' -n 40 -P ${readers} md5sum`;
  const r = await run('bash', ['-c', script, 'bash', root], 300_000);
  if (r.code !== 0) throw new Error(`md5sum through the mount failed: ${r.stderr}`);
  const got = new Map<string, string>();
  for (const line of r.stdout.split('\n').filter(Boolean)) got.set(line.slice(34), line.slice(0, 32));
  return got;
}

function wrongFiles(want: Map<string, string>, got: Map<string, string>): string[] {
  const wrong = [...want].filter(([path, hash]) => got.get(path) !== hash).map(([path]) => path);
  if (got.size !== want.size) wrong.push(`(${got.size} files read, ${want.size} expected)`);
  return wrong;
}

t.test('random-order reads through the mount return every file byte for byte', { skip: fuseSkipReason() }, async (t) => {
  const T0 = Date.now();
  const { dir, env: withHooks } = await cliSandbox(t);
  // Without tap's coverage hook (NODE_OPTIONS), which slows the mount threefold; other tests cover its code.
  const env = { ...withHooks, NODE_OPTIONS: '' };
  const src = join(dir, 'src');
  const want = await makeTree(src);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.comment(`tree made ${Date.now() - T0} ms`);
  const backup = await rozen(['backup', repo, src, '--quiet'], env);
  t.equal(backup.code, 0, backup.stderr);
  t.comment(`backup done ${Date.now() - T0} ms`);
  for (const cache of [[], ['--cache-size', '16M']]) {
    const m = await startMount(t, repo, join(dir, `m${cache.length}`), env, cache);
    const root = join(m.mnt, 'snapshots', 'latest', src);
    for (const readers of cache.length === 0 ? [1, 16] : [1, 16, 16]) {
      await dropPageCache();
      const t0 = Date.now();
      const wrong = wrongFiles(want, await shuffledHashes(root, readers));
      t.comment(`pass took ${Date.now() - t0} ms`);
      t.same(wrong.slice(0, 5), [], `${readers} reader(s), ${cache.join(' ') || 'default cache'}: ${wrong.length} file(s) wrong`);
    }
    const r = await stopMount(m);
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stderr, /failed|corrupt/, 'nothing failed on the way');
  }
  t.ok((await readFile(join(src, 'd0/s0/f0.dat'))).length > 0);
});
