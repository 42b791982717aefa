import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import type { Repository } from '../../src/repo/repository.js';

interface FoundSnapshot {
  snapshot_id: string;
  short_id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
  matches: { path: string; type: string; mode: number; uid: number; gid: number; size: number; mtime: string; blobs?: string[] }[];
}

/** Opens the repository in this process (S3 variables set for the SDK), for what the CLI does not print: blob ids. */
async function withRepoHere<T>(url: string, env: Record<string, string>, fn: (repo: Repository) => Promise<T>): Promise<T> {
  for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_')) process.env[k] = v;
  const { openBackend } = await import('../../src/backend/open.js');
  const { Repository } = await import('../../src/repo/repository.js');
  const repo = await Repository.open(await openBackend(url), env['ROZEN_PASSWORD'] as string, {
    cacheDir: env['ROZEN_CACHE_DIR'] as string,
  });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

async function chunkOf(url: string, env: Record<string, string>, path: string, i: number): Promise<string> {
  const { findSnapshot } = await import('../../src/repo/snapshots.js');
  const { findNode } = await import('../../src/snapshot/trees.js');
  return withRepoHere(url, env, async (repo) => {
    const node = await findNode(repo, (await findSnapshot(repo, 'latest')).tree, path);
    const id = node?.content?.[i];
    if (id === undefined) throw new Error(`no chunk ${i} in ${path}`);
    return id;
  });
}

async function findJson(t: Test, args: string[], env: Record<string, string>): Promise<FoundSnapshot[]> {
  const r = await rozen(['find', ...args, '--json'], env);
  t.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as FoundSnapshot[];
}

/** Three snapshots: the second adds sub/new.log, the third is like the second. */
async function threeSnapshots(t: Test, repo: string, src: string, env: Record<string, string>): Promise<string[]> {
  await mkdir(join(src, 'sub'), { recursive: true });
  await mkdir(join(src, 'deep', 'd1', 'd2'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'a');
  await writeFile(join(src, 'sub', 'b.txt'), 'b');
  await writeFile(join(src, 'deep', 'd1', 'd2', 'f'), 'f');
  await writeFile(join(src, 'big.bin'), randomBytes(6 * 1024 * 1024));
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', repo, src, '--host', 'h1', '--tag', 'one'], env)).code, 0);
  await writeFile(join(src, 'sub', 'new.log'), 'new');
  t.equal((await rozen(['backup', repo, src, '--host', 'h2'], env)).code, 0);
  t.equal((await rozen(['backup', repo, src, '--host', 'h2'], env)).code, 0);
  const snaps = JSON.parse((await rozen(['snapshots', repo, '--json'], env)).stdout) as { id: string }[];
  t.equal(snaps.length, 3);
  return snaps.map((s) => s.id);
}

async function findChecks(t: Test, repo: string, src: string, env: Record<string, string>): Promise<void> {
  const ids = await threeSnapshots(t, repo, src, env);
  const text = await rozen(['find', repo, '*.log'], env);
  t.equal(text.code, 0, text.stderr);
  t.notMatch(text.stdout, ids[0]!.slice(0, 8), 'the file added in snapshot 2 is not reported in snapshot 1');
  t.match(text.stdout, `snapshot ${ids[1]!.slice(0, 8)}`);
  t.match(text.stdout, new RegExp(`-rw-r--r-- .* 3 \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${src}/sub/new.log`));

  const found = await findJson(t, [repo, 'new.log'], env);
  t.same(
    found.map((f) => f.snapshot_id),
    ids.slice(1),
  );
  t.same(Object.keys(found[0]!).sort(), ['hostname', 'matches', 'paths', 'short_id', 'snapshot_id', 'tags', 'time']);
  t.match(found[0]!.matches, [{ path: `${src}/sub/new.log`, type: 'file', size: 3, mode: 0o644, mtime: /^\d{4}-.*\.\d{9}Z$/ }]);
  const full = await findJson(t, [repo, `${src}/sub/*`, '--snapshot', ids[1]!.slice(0, 10)], env);
  t.same(
    full[0]!.matches.map((m) => m.path),
    [`${src}/sub/b.txt`, `${src}/sub/new.log`],
    'a pattern with / matches the full path',
  );
  t.same(
    (await findJson(t, [repo, '*.txt', '--host', 'h1'], env)).map((f) => f.snapshot_id),
    [ids[0]],
  );
  t.same(
    (await findJson(t, [repo, '*.txt', '--tag', 'one'], env)).map((f) => f.snapshot_id),
    [ids[0]],
  );
  t.same(
    (await findJson(t, [repo, 'A.TXT', '-i', '--snapshot', 'latest'], env)).map((f) => f.snapshot_id),
    [ids[2]],
  );

  const none = await rozen(['find', repo, 'A.TXT', '--json'], env);
  t.equal(none.code, 1, 'nothing found: status 1');
  t.equal(none.stdout.trim(), '[]');
  t.match(none.stderr, /nothing found in 3 snapshot\(s\)/);
  t.equal((await rozen(['find', repo], env)).code, 2, 'neither a pattern nor --blob');
  t.equal((await rozen(['find', repo, '--blob', 'abc'], env)).code, 2, 'a blob prefix is 8+ hex digits');
  t.equal((await rozen(['find', repo, 'x', '--snapshot', 'ffffffff'], env)).code, 1, 'no such snapshot');

  const chunk = await chunkOf(repo, env, `${src}/big.bin`, 1);
  const byBlob = await findJson(t, [repo, '--blob', chunk.slice(0, 12)], env);
  t.equal(byBlob.length, 3, 'every snapshot holds big.bin');
  t.same(byBlob[0]!.matches, [{ ...byBlob[0]!.matches[0], path: `${src}/big.bin`, blobs: [chunk] }]);
  const snaps = JSON.parse((await rozen(['snapshots', repo, '--json'], env)).stdout) as { tree: string }[];
  const tree = snaps[2]?.tree ?? '';
  const byTree = await findJson(t, [repo, '--blob', tree], env);
  const sameTree = snaps.filter((s) => s.tree === tree).map(() => ['/']);
  t.same(
    byTree.map((f) => f.matches.map((m) => m.path)),
    sameTree,
    'a tree blob: the directory it lists',
  );
  await memoChecks(t, repo, env, [ids[0] ?? '', ids[1] ?? '', ids[1] ?? '']);
  await unreadableChecks(t, repo, env, ids[1] ?? '');
}

/** A subtree that cannot be located or loaded is reported by its path and left out; the rest is searched. */
async function unreadableChecks(t: Test, url: string, env: Record<string, string>, id: string): Promise<void> {
  const { Finder } = await import('../../src/snapshot/find.js');
  const { findQuery } = await import('../../src/cli/commands/find.js');
  const { loadSnapshot } = await import('../../src/repo/snapshots.js');
  const { findNode } = await import('../../src/snapshot/trees.js');
  const { RozenError } = await import('../../src/core/errors.js');
  await withRepoHere(url, env, async (repo) => {
    const snap = await loadSnapshot(repo, id as never);
    const lost = (await findNode(repo, snap.tree, `${snap.paths[0]}/sub`))?.subtree;
    if (lost === undefined) throw new Error('no subtree sub');
    const missing = new RozenError('NotFound', `blob ${lost} is not in the index`);
    const lookups = [
      (ids: string[]) => repo.index.lookupMany(ids as never).then((locs) => locs.map((l, i) => (ids[i] === lost ? undefined : l))),
      () => Promise.reject(new Error('the index failed')),
    ];
    for (const lookupMany of lookups) {
      const broken = {
        index: { lookupMany },
        loadBlob: (blob: never, loc: never) => (blob === lost ? Promise.reject(missing) : repo.loadBlob(blob, loc)),
      } as unknown as Repository;
      const hits: string[] = [];
      const problems: string[] = [];
      await new Finder(broken, findQuery(['*.txt', 'f'], [], false)).find(snap, {
        hit: (_s, h) => hits.push(h.path),
        problem: (_s, path, err) => problems.push(`${path}: ${err.code}`),
      });
      t.same(problems, [`${snap.paths[0]}/sub: NotFound`], 'the lost subtree is named once');
      t.same(hits, [`${snap.paths[0]}/a.txt`, `${snap.paths[0]}/deep/d1/d2/f`], 'the others are searched');
    }
  });
}

/** A subtree without a match is walked once: a snapshot searched again costs no tree loads. */
async function memoChecks(t: Test, url: string, env: Record<string, string>, ids: string[]): Promise<void> {
  const { Finder } = await import('../../src/snapshot/find.js');
  const { findQuery } = await import('../../src/cli/commands/find.js');
  const { loadSnapshot } = await import('../../src/repo/snapshots.js');
  for (const pattern of ['nothing', '/no/such/*']) {
    await withRepoHere(url, env, async (repo) => {
      let loads = 0;
      const counting = {
        index: repo.index,
        loadBlob: (id: never, loc: never) => (loads++, repo.loadBlob(id, loc)),
      } as unknown as Repository;
      const finder = new Finder(counting, findQuery([pattern], [], false));
      const sink = { hit: () => t.fail('no hit expected'), problem: () => t.fail('no problem expected') };
      const perSnapshot: number[] = [];
      for (const id of ids) {
        const before = loads;
        await finder.find(await loadSnapshot(repo, id as never), sink);
        perSnapshot.push(loads - before);
      }
      t.ok(perSnapshot[1]! < perSnapshot[0]!, `${pattern}: snapshot 2 skips the unchanged subtrees (${perSnapshot.join(', ')})`);
      t.equal(perSnapshot[2], 0, `${pattern}: snapshot 2 again loads nothing`);
    });
  }
  await withRepoHere(url, env, async (repo) => {
    const hits = async (remember?: number): Promise<{ paths: string[]; loads: number }> => {
      let loads = 0;
      const counting = {
        index: repo.index,
        loadBlob: (id: never, loc: never) => (loads++, repo.loadBlob(id, loc)),
      } as unknown as Repository;
      const finder = new Finder(counting, findQuery(['a.txt'], [], false), remember);
      const paths: string[] = [];
      for (const id of ids)
        await finder.find(await loadSnapshot(repo, id as never), { hit: (_s, h) => paths.push(h.path), problem: () => t.fail() });
      return { paths, loads };
    };
    const [all, one] = [await hits(), await hits(1)];
    t.same(one.paths, all.paths, 'a memory of one barren subtree (of two beside each other) finds the same');
    t.ok(one.loads > all.loads, `and walks more (${one.loads} loads against ${all.loads}): the memory is bounded`);
  });
}

t.test('find in a local repository', async (t) => {
  const { dir, env } = await cliSandbox(t);
  await findChecks(t, join(dir, 'repo'), join(dir, 'src'), env);
});

t.test('find in an S3 repository (s3rver)', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { dir, env } = await cliSandbox(t);
  await findChecks(t, `s3://${s3.bucket}/repo`, join(dir, 'src'), { ...env, ...s3.env });
});

t.test('a text listing longer than the output buffer holds every match once, in order', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  const src = join(dir, 'src');
  const names = Array.from(
    { length: 1500 },
    (_, i) => `d${i % 7}/a-rather-long-file-name-to-fill-the-buffer-${String(i).padStart(5, '0')}.ts`,
  );
  for (let d = 0; d < 7; d++) await mkdir(join(src, `d${d}`), { recursive: true });
  await Promise.all(names.map((n) => writeFile(join(src, n), n)));
  t.equal((await rozen(['init', repo], env)).code, 0);
  for (let i = 0; i < 2; i++) t.equal((await rozen(['backup', repo, src], env)).code, 0);
  const text = await rozen(['find', repo, '*.ts'], env);
  t.equal(text.code, 0, text.stderr);
  t.ok(text.stdout.length > 3 * 64 * 1024, `${text.stdout.length} characters: several buffers`);
  t.equal(text.stdout.match(/^snapshot /gm)?.length, 2, 'a heading per snapshot');
  const lines = text.stdout.split('\n').filter((l) => l.startsWith('  '));
  const paths = lines.map((l) => l.slice(l.indexOf(`${src}/`)));
  const found = await findJson(t, [repo, '*.ts'], env);
  t.equal(paths.length, 3000);
  t.same(
    paths,
    found.flatMap((f) => f.matches.map((m) => m.path)),
    'the same matches as --json, in its order',
  );
});
