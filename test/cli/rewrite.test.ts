import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { treeListing } from '../helpers/tree-compare.js';

type Env = Record<string, string>;
interface RewriteRow {
  id: string;
  removed: string[];
  new_id?: string;
}

const SECRET_BYTES = 1_500_000;

async function ok(t: Test, args: string[], env: Env): Promise<string> {
  const r = await rozen(args, env);
  t.equal(r.code, 0, `${args[0] ?? ''}: ${r.stderr}`);
  return r.stdout;
}

const storedBytes = async (t: Test, repo: string, env: Env): Promise<number> =>
  (JSON.parse(await ok(t, ['stats', repo, '--json'], env)) as { storedBytes: number }).storedBytes;

async function scenario(t: Test, url: (dir: string) => string, extraEnv: Env = {}): Promise<void> {
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...extraEnv };
  const src = join(dir, 'src');
  const secret = join(src, 'keys', 'secret.key');
  await mkdir(join(src, 'keys'), { recursive: true });
  await writeFile(secret, randomBytes(SECRET_BYTES));
  await writeFile(join(src, 'keys', 'public.pem'), randomBytes(20_000));
  await writeFile(join(src, 'changed.txt'), 'first');
  const repo = url(dir);
  await ok(t, ['init', repo], env);
  await ok(t, ['backup', repo, src], env);
  await writeFile(join(src, 'changed.txt'), 'second');
  await ok(t, ['backup', repo, src], env);

  const dry = await ok(t, ['rewrite', repo, '--exclude', '*.key', '--dry-run'], env);
  t.equal(dry.split('\n').filter((l) => l === `  would remove ${secret}`).length, 2, 'a dry run names the file in both snapshots');
  const before = await storedBytes(t, repo, env);
  const rows = JSON.parse(await ok(t, ['rewrite', repo, '--exclude', '*.key', '--json'], env)) as RewriteRow[];
  t.same(
    rows.map((r) => r.removed),
    [[secret], [secret]],
    'the dry run wrote nothing: both still held it',
  );
  const now = JSON.parse(await ok(t, ['snapshots', repo, '--json'], env)) as { id: string; original?: string }[];
  t.same(
    now.map((s) => [s.id, s.original]),
    rows.map((r) => [r.new_id, r.id]),
    'old records removed after the new ones, which name them',
  );
  const twice = JSON.parse(await ok(t, ['rewrite', repo, '--exclude', '*.key', '--json'], env)) as RewriteRow[];
  t.same(
    twice.map((r) => [r.removed.length, r.new_id]),
    [
      [0, undefined],
      [0, undefined],
    ],
    'nothing left to exclude: left alone',
  );

  const target = join(dir, 'restored');
  await ok(t, ['restore', repo, 'latest', '--target', target], env);
  const secretLine = `/${Buffer.from('keys').toString('hex')}/${Buffer.from('secret.key').toString('hex')}|`;
  const expected = (await treeListing(src)).filter((l) => !l.startsWith(secretLine));
  t.equal(expected.length, (await treeListing(src)).length - 1);
  t.same(await treeListing(join(target, src)), expected, 'the secret is gone, everything else restores identical');

  await ok(t, ['prune', repo], env);
  const after = await storedBytes(t, repo, env);
  t.ok(before - after >= SECRET_BYTES, `prune frees the secret's data (${before} -> ${after} bytes stored)`);
  t.match(await ok(t, ['check', repo, '--read-data'], env), /no errors were found/);
}

t.test('rewrite on a local repository', (t) => scenario(t, (dir) => join(dir, 'repo')));

t.test('rewrite on an S3 repository (s3rver)', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  await scenario(t, () => `s3://${s3.bucket}/repo`, s3.env);
});
