import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, onTty, rozen } from '../helpers/cli.js';

t.test('on a terminal the password is asked for without echo', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  const noEnv = { ...env };
  delete noEnv['ROZEN_PASSWORD'];
  const ok = await onTty(['snapshots', repo], noEnv, 'correct horse\r');
  t.equal(ok.code, 0, ok.stdout);
  t.match(ok.stdout, /enter password for repository/);
  t.notMatch(ok.stdout, /correct horse/, 'the password is not echoed');
  const bad = await onTty(['snapshots', repo], noEnv, 'wrong\r');
  t.equal(bad.code, 12);
});

t.test('on a terminal backup and restore show progress', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'big.bin'), randomBytes(20 * 1024 * 1024));
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  await writeFile(join(src, 'more.bin'), randomBytes(10 * 1024 * 1024));
  const b = await onTty(['backup', repo, src], env, '');
  t.equal(b.code, 0, b.stdout);
  t.match(b.stdout, /files, .* read, .*\/s, .* added, ETA /);
  t.match(b.stdout, /snapshot [0-9a-f]{8} saved/);
  const r = await onTty(['restore', repo, 'latest', '--target', join(dir, 'out')], env, '');
  t.equal(r.code, 0, r.stdout);
  t.match(r.stdout, /restored 2 files/);
});
