import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliSandbox, rozen, type CliResult } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { treeListing } from '../helpers/tree-compare.js';

type Env = Record<string, string>;
const run = promisify(execFile);

async function ok(t: Test, args: string[], env: Env): Promise<string> {
  const r = await rozen(args, env);
  t.equal(r.code, 0, `${args[0] ?? ''}: ${r.stderr}`);
  return r.stdout;
}

/** Changes one byte of `file` while keeping its size and its mtime to the nanosecond (so --overwrite if-changed trusts it). */
async function corruptKeepingMtime(file: string, ref: string): Promise<void> {
  const bytes = await readFile(file);
  bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
  await writeFile(file, bytes);
  await run('touch', ['-r', ref, file]);
}

async function dryRun(t: Test, repo: string, env: Env, src: string, target: string): Promise<void> {
  const out = await ok(t, ['restore', repo, 'latest', '--target', target, '--dry-run'], env);
  t.match(out, `would restore ${join(target, src, 'big.bin')}\n`);
  t.match(out, /nothing was written/);
  t.notOk(existsSync(target), 'a dry run does not even create the target');
}

async function verify(t: Test, repo: string, env: Env, src: string, target: string): Promise<void> {
  t.match(await ok(t, ['restore', repo, 'latest', '--target', target, '--verify'], env), /verified 4 file\(s\): all match the snapshot/);
  const big = join(target, src, 'big.bin');
  await corruptKeepingMtime(big, join(src, 'big.bin'));
  const damaged = await readFile(big);

  const kept = await rozen(['restore', repo, 'latest', '--target', target, '--overwrite', 'if-changed', '--verify', '--json'], env);
  t.equal(kept.code, 1, 'if-changed keeps the file (same size and mtime); verify catches it');
  t.match(kept.stderr, `rozen: ${big}: content differs in bytes 0-`);
  t.equal(kept.stderr.split('\n').filter((l) => l.includes(': content differs')).length, 1, 'one line, for that file only');
  const summary = JSON.parse(kept.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  t.same([summary['files_verified'], summary['files_mismatched']], [4, 1]);

  const only: CliResult = await rozen(['restore', repo, 'latest', '--target', target, '--dry-run', '--verify'], env);
  t.equal(only.code, 1, '--dry-run --verify only verifies, and fails on the changed file');
  t.match(only.stderr, `${big}: content differs`);
  t.same(await readFile(big), damaged, 'and writes nothing');

  t.match(await ok(t, ['restore', repo, 'latest', '--target', target, '--verify'], env), /all match the snapshot/);
  t.same(await readFile(big), await readFile(join(src, 'big.bin')), 'a plain restore repairs it');
}

async function deleteExtras(t: Test, repo: string, env: Env, src: string, dir: string, target: string): Promise<void> {
  const restored = join(target, src);
  const outside = join(dir, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'precious'), 'not in the target');
  await writeFile(join(restored, 'extra.txt'), 'x');
  await mkdir(join(restored, 'sub', 'newdir', 'deeper'), { recursive: true });
  await writeFile(join(restored, 'sub', 'newdir', 'deeper', 'f'), 'y');
  await symlink(outside, join(restored, 'sub', 'link-out'));
  await writeFile(join(restored, 'keep.log'), 'excluded names are kept');
  await writeFile(join(target, 'beside.txt'), 'not below a backed-up path');
  const extras = ['extra.txt', 'sub/link-out', 'sub/newdir'].map((p) => join(restored, p));

  const args = ['restore', repo, 'latest', '--target', target, '--delete', '--exclude', '*.log'];
  const dry = await ok(t, [...args, '--dry-run'], env);
  t.same(
    dry
      .split('\n')
      .filter((l) => l.startsWith('would delete /'))
      .sort(),
    extras.map((p) => `would delete ${p}`).sort(),
  );
  t.ok(
    extras.every((p) => existsSync(p)),
    'a dry run deletes nothing',
  );

  t.match(await ok(t, args, env), /deleted 3 entries the snapshot does not have/);
  t.notOk(
    extras.some((p) => existsSync(p)),
    'the extras are gone',
  );
  t.equal(await readFile(join(outside, 'precious'), 'utf8'), 'not in the target', 'the symlink was removed, not followed');
  t.ok(existsSync(join(restored, 'keep.log')), 'an excluded name is kept');
  t.ok(existsSync(join(target, 'beside.txt')), 'nothing is deleted above the backed-up path');
  await run('rm', [join(restored, 'keep.log')]);
  t.same(await treeListing(restored), await treeListing(src), 'the rest is the snapshot');
}

async function scenario(t: Test, url: (dir: string) => string, extraEnv: Env = {}): Promise<void> {
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...extraEnv };
  const src = join(dir, 'src');
  await mkdir(join(src, 'sub', 'deep'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'a');
  await writeFile(join(src, 'big.bin'), randomBytes(700_000));
  await writeFile(join(src, 'sub', 'b.txt'), 'b');
  await writeFile(join(src, 'sub', 'deep', 'c.txt'), 'c');
  const repo = url(dir);
  await ok(t, ['init', repo], env);
  await ok(t, ['backup', repo, src], env);
  const target = join(dir, 'target');
  await t.test('--dry-run', (t) => dryRun(t, repo, env, src, target));
  await t.test('--verify', (t) => verify(t, repo, env, src, target));
  await t.test('--delete', (t) => deleteExtras(t, repo, env, src, dir, target));
}

t.test('restore options on a local repository', (t) => scenario(t, (dir) => join(dir, 'repo')));

t.test('restore options on an S3 repository (s3rver)', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  await scenario(t, () => `s3://${s3.bucket}/repo`, s3.env);
});
