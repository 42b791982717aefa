/**
 * Through the CLI: a second backup records every change of xattrs since its parent: set, changed, removed, and
 * those of a moved directory's entries. (Entries older than the parent go unread only once the CLI knows the
 * parent, after it has walked 16,384 entries: test/snapshot/backup-parent-xattrs.test.ts covers that part.)
 */
import t from 'tap';
import { lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { native } from '../../src/snapshot/fs/native.js';
import { readXattrs } from '../../src/snapshot/fs/xattrs.js';
import { cliSandbox, rozen } from '../helpers/cli.js';

/** Every entry below `root` with its xattrs, as text. */
async function xattrsBelow(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of ['a', 'zz', 'k', 'g', 'd', 'd2', 'c', 'e']) {
    const path = join(root, rel, name);
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined) continue;
    out.push(`${join(rel, name)} ${JSON.stringify(readXattrs(Buffer.from(path)).map(([k, v]) => [k, v.toString()]))}`);
    if (st.isDirectory()) out.push(...(await xattrsBelow(root, join(rel, name))));
  }
  return out;
}

t.test('a second backup records changed xattrs and keeps unchanged ones', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  const repo = join(dir, 'repo');
  const set = (rel: string, k: string, v: string): void => native().lsetxattr(Buffer.from(join(src, rel)), k, Buffer.from(v));
  await mkdir(join(src, 'zz', 'd'), { recursive: true });
  await mkdir(join(src, 'zz', 'k'));
  for (const f of ['a', 'zz/k/g', 'zz/d/c', 'zz/d/e']) await writeFile(join(src, f), f);
  set('a', 'user.k', 'one');
  set('zz/k/g', 'user.kept', 'as it was');
  set('zz/d', 'user.dir', 'one');
  set('zz/d/c', 'user.c', 'one');
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', repo, src, '--quiet'], env)).code, 0);
  set('a', 'user.k', 'two');
  native().lremovexattr(Buffer.from(join(src, 'zz/d/c')), 'user.c');
  set('zz/d/e', 'user.e', 'new');
  await rename(join(src, 'zz/d'), join(src, 'zz/d2'));
  const second = await rozen(['backup', repo, src, '--quiet', '--json'], env);
  t.equal(second.code, 0, second.stderr);
  const target = join(dir, 'restored');
  const restored = await rozen(['restore', repo, 'latest', '--target', target, '--include', `${src}/a`, '--include', `${src}/zz`], env);
  t.equal(restored.code, 0, restored.stderr);
  const want = await xattrsBelow(src);
  t.same(await xattrsBelow(join(target, src)), want);
  t.ok(want.includes('zz/k/g [["user.kept","as it was"]]') && want.includes('zz/d2/c []'), 'the tree is what the test means it to be');
});
