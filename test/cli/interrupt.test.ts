import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, collect, rozen, startCli } from '../helpers/cli.js';
import { RepoChanges } from '../helpers/repo-changes.js';
import { until } from '../helpers/wait.js';

async function bigTree(dir: string, files: number, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(join(dir, `f${i}.bin`), randomBytes(size));
  for (let i = 0; i < 200; i++) await writeFile(join(dir, `s${i}.txt`), `small ${i} `.repeat(50 + i));
}

/** Bytes of the files under `dir` (none while it does not exist). */
async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) =>
        stat(join(e.parentPath, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** Points of a backup's writes to kill it at, by what it has changed in the repository. */
const MOMENTS: readonly (readonly [string, (changed: readonly string[]) => boolean])[] = [
  ['has taken its lock', (changed) => changed.some((p) => p.startsWith('locks/'))],
  ['is writing its first pack', (changed) => changed.some((p) => p.startsWith('packs/'))],
  ['is writing an index file', (changed) => changed.some((p) => p.startsWith('index/'))],
];

t.test('Ctrl-C (SIGINT) stops a backup cleanly: exit 130, no snapshot, lock released, next backup works', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'data');
  await bigTree(src, 10, 16 * 1024 * 1024);
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  const child = startCli(['backup', repo, src, '--json'], env);
  const done = collect(child);
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('"status"')) resolve();
    });
  });
  const packed = async (): Promise<boolean> => child.exitCode !== null || (await bytesUnder(join(repo, 'packs'))) >= 48 * 1024 * 1024;
  await until(packed, 'the backup has stored 48 MiB, which an interrupt must keep', 300_000, 20);
  child.kill('SIGINT');
  const r = await done;
  t.equal(r.code, 130, r.stderr);
  t.match(r.stderr, /interrupted/);
  t.same(await readdir(join(repo, 'snapshots')).catch(() => []), [], 'no snapshot record');
  t.same(await readdir(join(repo, 'locks')).catch(() => []), [], 'lock released');
  t.ok((await readdir(join(repo, 'index'))).length > 0, 'finished packs were indexed');
  const next = await rozen(['backup', repo, src, '--json'], env);
  t.equal(next.code, 0, next.stderr);
  const summary = JSON.parse(next.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  t.ok(summary['bytes_added']! < 150 * 1024 * 1024, 'data stored before the interrupt was reused');
  const restored = join(dir, 'out');
  t.equal((await rozen(['restore', repo, 'latest', '--target', restored], env)).code, 0);
});

t.test(
  'SIGKILL of a backup holding its lock, writing a pack or its index leaves a repository the next backup and restore accept',
  async (t) => {
    const { dir, env } = await cliSandbox(t);
    const src = join(dir, 'data');
    await bigTree(src, 4, 12 * 1024 * 1024);
    const repo = join(dir, 'repo');
    await rozen(['init', repo], env);
    for (const [moment, reached] of MOMENTS) {
      const changes = new RepoChanges(repo);
      const child = startCli(['backup', repo, src], env);
      const done = collect(child);
      await until(() => child.exitCode !== null || reached([...changes.poll()]), `the backup ${moment}`, 300_000);
      child.kill('SIGKILL');
      t.equal((await done).signal, 'SIGKILL', `killed once it ${moment}`);
      const locks = await readdir(join(repo, 'locks')).catch(() => []);
      if (locks.length > 0) t.equal((await rozen(['unlock', repo], env)).code, 0, 'stale lock of a dead process removed');
    }
    const check = await rozen(['check', repo, '--read-data'], env);
    t.equal(check.code, 0, `check passes after the kills: ${check.stdout}${check.stderr}`);
    const snapsBefore = await readdir(join(repo, 'snapshots')).catch(() => []);
    const next = await rozen(['backup', repo, src], env);
    t.equal(next.code, 0, next.stderr);
    const snaps = JSON.parse((await rozen(['snapshots', repo, '--json'], env)).stdout) as unknown[];
    t.equal(snaps.length, snapsBefore.length + 1);
    const restored = join(dir, 'out');
    const r = await rozen(['restore', repo, 'latest', '--target', restored], env);
    t.equal(r.code, 0, r.stderr);
  },
);
