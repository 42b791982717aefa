/**
 * Through the real CLI, on a local and an S3 repository: the repository named by -r/--repo, --repository-file,
 * ROZEN_REPOSITORY or ROZEN_REPOSITORY_FILE instead of the <repo> argument, and the refusals where that is ambiguous.
 */
import t, { type Test } from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';

interface Case {
  readonly repo: string;
  readonly env: Record<string, string>;
  readonly dir: string;
}

async function snapshotCount(c: Case): Promise<number> {
  const r = await rozen(['snapshots', c.repo, '--json'], c.env);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

/** init, backup, snapshots, ls and key list with the repository named each way, never as an argument. */
async function namedEachWay(t: Test, c: Case): Promise<void> {
  const src = join(c.dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'file.txt'), 'hello\n');
  const init = await rozen(['-r', c.repo, 'init'], c.env);
  t.equal(init.code, 0, init.stderr);
  const backup = await rozen(['backup', src, '--tag', 'env'], { ...c.env, ROZEN_REPOSITORY: c.repo });
  t.equal(backup.code, 0, backup.stderr);
  const repoFile = join(c.dir, 'repository');
  await writeFile(repoFile, `${c.repo}\n`);
  const list = await rozen(['snapshots', '--json'], { ...c.env, ROZEN_REPOSITORY_FILE: repoFile });
  t.equal(list.code, 0, list.stderr);
  t.match(
    JSON.parse(list.stdout),
    [{ paths: [src], tags: ['env'] }],
    'the snapshot ROZEN_REPOSITORY made, listed by ROZEN_REPOSITORY_FILE',
  );
  const ls = await rozen(['--repository-file', repoFile, 'ls', 'latest', src], c.env);
  t.equal(ls.code, 0, ls.stderr);
  t.match(ls.stdout, /file\.txt/);
  const keys = await rozen(['key', 'list', '--json', '--repo', c.repo], { ...c.env, ROZEN_REPOSITORY: join(c.dir, 'absent') });
  t.equal(keys.code, 0, `--repo wins over ROZEN_REPOSITORY: ${keys.stderr}`);
  t.equal(await snapshotCount(c), 1, 'the <repo> argument still works when nothing else names the repository');
}

/** Command lines that give the repository twice, or that look as if they do: refused, and nothing is written. */
async function ambiguousRefused(t: Test, c: Case, url: string): Promise<void> {
  const src = join(c.dir, 'src');
  const env = { ...c.env, ROZEN_REPOSITORY: c.repo };
  const refusals: [string[], Record<string, string>, RegExp][] = [
    [['backup', c.repo, src], env, /is the repository ROZEN_REPOSITORY names: leave out the <repo> argument of 'backup'/],
    [['backup', url, src], env, /looks like a repository|is the repository/],
    [['-r', c.repo, 'backup', c.repo, src], c.env, /is the repository -r\/--repo names/],
    [['snapshots', join(c.dir, 'other')], env, /too many arguments: ROZEN_REPOSITORY names the repository/],
    [['mount', c.repo, join(c.dir, 'mnt')], env, /is the repository/],
    [['snapshots'], { ...env, ROZEN_REPOSITORY_FILE: join(c.dir, 'repository') }, /both set/],
    [['-r', c.repo, '--repository-file', join(c.dir, 'repository'), 'snapshots'], c.env, /not both/],
  ];
  for (const [args, e, message] of refusals) {
    const r = await rozen(args, e);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
  }
  t.equal(await snapshotCount(c), 1, 'no snapshot was added');
}

t.test('local repository', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const c = { repo: join(dir, 'repo'), env, dir };
  await namedEachWay(t, c);
  await ambiguousRefused(t, c, 's3://bucket/prefix');
  const trailing = await rozen(['snapshots', `${c.repo}/`], { ...env, ROZEN_REPOSITORY: c.repo });
  t.equal(trailing.code, 2, 'the same directory spelt another way is the same repository');
});

t.test('S3 repository', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { dir, env } = await cliSandbox(t);
  const repo = `s3://${s3.bucket}/repo`;
  const c = { repo, env: { ...env, ...s3.env }, dir };
  await namedEachWay(t, c);
  await ambiguousRefused(t, c, `s3://${s3.bucket}/repo/`);
});
