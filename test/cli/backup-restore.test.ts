import t from 'tap';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildFixture } from '../snapshot/fs-fixture.js';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { treeListing } from '../helpers/tree-compare.js';

const run = promisify(execFile);
const MARKER = 'ROZEN-PLAINTEXT-MARKER-7f3a';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

t.test('backup then restore round-trips every kind of entry and attribute exactly', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  await mkdir(src);
  await buildFixture(src);
  await writeFile(join(src, `${MARKER}.txt`), `secret ${MARKER} content\n`.repeat(100));
  const big = randomBytes(13 * 1024 * 1024);
  await writeFile(join(src, 'large.bin'), big);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  const b = await rozen(['backup', repo, src, '--json', '--tag', 'first'], env);
  t.equal(b.code, 0, b.stderr);
  const summary = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
  t.equal(summary['message_type'], 'summary');
  t.ok(Number(summary['files_new']) > 10);
  t.equal(summary['files_unmodified'], 0);

  const target = join(dir, 'restored');
  const r = await rozen(['restore', repo, 'latest', '--target', target], env);
  t.equal(r.code, 0, r.stderr);
  const restored = join(target, src);
  t.same(await treeListing(restored), await treeListing(src), 'tree walk: every field identical');
  const rs = await run('rsync', ['-aHAXS', '--numeric-ids', '--dry-run', '--itemize-changes', `${src}/`, `${restored}/`]);
  t.equal(rs.stdout, '', 'rsync -aHAXS sees no difference');
  const sparse = await stat(join(restored, 'sparse.img'));
  t.ok(sparse.blocks * 512 < sparse.size / 4, 'sparse file restored sparse');

  const packs = await listFiles(join(repo, 'packs'));
  t.ok(packs.length >= 3, 'normal, tree and degenerate packs');
  for (const f of await listFiles(repo)) {
    const bytes = await readFile(f);
    t.notOk(bytes.includes(MARKER), `no plaintext marker in ${f.slice(repo.length)}`);
    t.notOk(bytes.includes('plain.txt'), `no file name in ${f.slice(repo.length)}`);
  }

  const again = await rozen(['backup', repo, src, '--json'], env);
  const s2 = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  t.equal(s2['files_new'], 0);
  t.equal(s2['files_changed'], 0);
  t.equal(s2['bytes_read'], 0, 'unchanged files are not read again');
  t.ok(Number(s2['files_unmodified']) > 10);
});

t.test('snapshots, ls, diff, selectors, include/exclude, overwrite', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'data');
  await mkdir(join(src, 'keep'), { recursive: true });
  await writeFile(join(src, 'keep', 'a.txt'), 'a');
  await writeFile(join(src, 'skip.tmp'), 'tmp');
  await writeFile(join(src, 'b.txt'), 'b');
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src, '--exclude', '*.tmp', '--host', 'h1', '--tag', 'x'], env)).code, 0);
  await writeFile(join(src, 'b.txt'), 'bb');
  await writeFile(join(src, 'c.txt'), 'c');
  t.equal((await rozen(['backup', repo, src, '--host', 'h2'], env)).code, 0);
  const snaps = JSON.parse((await rozen(['snapshots', repo, '--json'], env)).stdout) as Record<string, unknown>[];
  t.equal(snaps.length, 2);
  for (const k of ['id', 'short_id', 'time', 'hostname', 'paths', 'tags']) t.ok(k in snaps[0]!, k);
  t.same(snaps[0]!['tags'], ['x']);
  const h1 = JSON.parse((await rozen(['snapshots', repo, '--json', '--host', 'h1'], env)).stdout) as unknown[];
  t.equal(h1.length, 1);

  const ls1 = await rozen(['ls', repo, 'latest', '--host', 'h1'], env);
  t.match(ls1.stdout, /keep\/a\.txt/);
  t.notMatch(ls1.stdout, /skip\.tmp/, 'excluded');
  const ls2 = await rozen(['ls', repo, String(snaps[1]!['short_id']), join(src, 'keep'), '--long'], env);
  t.match(ls2.stdout, /-rw-r--r-- .* 1 .*keep\/a\.txt/);
  const diff = await rozen(['diff', repo, String(snaps[0]!['id']), String(snaps[1]!['id']).slice(0, 6)], env);
  t.match(diff.stdout, /M +.*b\.txt/);
  t.match(diff.stdout, /\+ +.*c\.txt/);
  t.match(diff.stdout, /\+ +.*skip\.tmp/);

  const target = join(dir, 'out');
  t.equal((await rozen(['restore', repo, 'latest', '--target', target, '--include', '**/keep'], env)).code, 0);
  t.same(await readdir(join(target, src)), ['keep']);
  t.equal((await rozen(['restore', repo, 'latest', '--target', target, '--exclude', 'keep'], env)).code, 0);
  t.same((await readdir(join(target, src))).sort(), ['b.txt', 'c.txt', 'keep', 'skip.tmp']);
  await writeFile(join(target, src, 'b.txt'), 'local change');
  t.equal((await rozen(['restore', repo, 'latest', '--target', target, '--overwrite', 'never'], env)).code, 0);
  t.equal(await readFile(join(target, src, 'b.txt'), 'utf8'), 'local change', 'never: left alone');
  t.equal((await rozen(['restore', repo, 'latest', '--target', target, '--overwrite', 'if-changed'], env)).code, 0);
  t.equal(await readFile(join(target, src, 'b.txt'), 'utf8'), 'bb', 'if-changed: replaced');
  // Whatever sits where a file goes is replaced, and a symlink there is never written through.
  await writeFile(join(dir, 'outside'), 'outside');
  await rm(join(target, src, 'b.txt'));
  await symlink(join(dir, 'outside'), join(target, src, 'b.txt'));
  await rm(join(target, src, 'c.txt'));
  await mkdir(join(target, src, 'c.txt', 'inner'), { recursive: true });
  t.equal((await rozen(['restore', repo, 'latest', '--target', target], env)).code, 0);
  t.equal(await readFile(join(target, src, 'b.txt'), 'utf8'), 'bb', 'a symlink in the way is replaced');
  t.ok((await lstat(join(target, src, 'b.txt'))).isFile());
  t.equal(await readFile(join(dir, 'outside'), 'utf8'), 'outside', 'and not written through');
  t.equal(await readFile(join(target, src, 'c.txt'), 'utf8'), 'c', 'a directory in the way is replaced');

  const bad = await rozen(['restore', repo, 'ffff', '--target', target], env);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /no snapshot with id ffff/);
  const missing = await rozen(['backup', repo, join(dir, 'nope')], env);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /no such file or directory/);
});

t.test('a corrupt pack: the affected file is reported, the others restored, exit 1', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'data');
  await mkdir(src);
  await writeFile(join(src, 'small.txt'), 'small file');
  await writeFile(join(src, 'large.bin'), randomBytes(6 * 1024 * 1024));
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  const packs = await listFiles(join(repo, 'packs'));
  const sizes = await Promise.all(packs.map(async (p) => (await lstat(p)).size));
  const largest = packs[sizes.indexOf(Math.max(...sizes))]!;
  const bytes = await readFile(largest);
  bytes.writeUInt8(bytes.readUInt8(1000) ^ 0xff, 1000);
  await writeFile(largest, bytes);
  const target = join(dir, 'out');
  const r = await rozen(['restore', repo, 'latest', '--target', target], env);
  t.equal(r.code, 1);
  t.match(r.stderr, /large\.bin/);
  t.equal(await readFile(join(target, src, 'small.txt'), 'utf8'), 'small file');
  await t.rejects(stat(join(target, src, 'large.bin')), 'no half-written file left');
});
