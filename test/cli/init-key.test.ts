import t from 'tap';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';

t.test('init, refusing to init twice, wrong password, missing repository', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  const first = await rozen(['init', repo], env);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /created repository/);
  const before = await readdir(join(repo, 'keys'));
  const config = await readFile(join(repo, 'config'));
  const again = await rozen(['init', repo], env);
  t.equal(again.code, 1);
  t.match(again.stderr, /already exists/);
  t.same(await readdir(join(repo, 'keys')), before, 'no key added');
  t.same(await readFile(join(repo, 'config')), config, 'config unchanged');

  const wrong = await rozen(['snapshots', repo], { ...env, ROZEN_PASSWORD: 'nope' });
  t.equal(wrong.code, 12);
  t.equal(wrong.stderr, 'rozen: wrong password or no key found\n');

  const missing = await rozen(['snapshots', join(dir, 'absent')], env);
  t.equal(missing.code, 10);
  t.equal(missing.stderr.split('\n').length, 2, 'one line');
});

t.test('password from --password-file and ROZEN_PASSWORD_FILE', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, 'from a file\n');
  const noEnv = { ...env };
  delete noEnv['ROZEN_PASSWORD'];
  t.equal((await rozen(['--password-file', pwFile, 'init', repo], noEnv)).code, 0);
  t.equal((await rozen(['snapshots', repo], { ...noEnv, ROZEN_PASSWORD_FILE: pwFile })).code, 0);
  t.equal((await rozen(['snapshots', repo], { ...noEnv, ROZEN_PASSWORD: 'from a file' })).code, 0);
  const none = await rozen(['snapshots', repo], noEnv);
  t.equal(none.code, 2, 'no password and no TTY');
  t.match(none.stderr, /no password given/);
});

t.test('key add, list, passwd, remove', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  const second = join(dir, 'second');
  await writeFile(second, 'second password');
  const add = await rozen(['key', 'add', repo, '--new-password-file', second], env);
  t.equal(add.code, 0, add.stderr);
  const list = JSON.parse((await rozen(['key', 'list', repo, '--json'], env)).stdout) as { id: string; current: boolean }[];
  t.equal(list.length, 2);
  const mine = list.find((k) => k.current)!;
  const other = list.find((k) => !k.current)!;

  const inUse = await rozen(['key', 'remove', repo, mine.id.slice(0, 8)], env);
  t.equal(inUse.code, 2);
  t.match(inUse.stderr, /in use/);

  const asSecond = { ...env, ROZEN_PASSWORD: 'second password' };
  t.equal((await rozen(['key', 'remove', repo, mine.id], asSecond)).code, 0, 'removed the first key using the second');
  t.equal((await rozen(['snapshots', repo], env)).code, 12, 'first password no longer opens it');
  const last = await rozen(['key', 'remove', repo, other.id], { ...asSecond });
  t.equal(last.code, 2);
  t.match(last.stderr, /in use|last/);

  const third = join(dir, 'third');
  await writeFile(third, 'third password');
  t.equal((await rozen(['key', 'passwd', repo, '--new-password-file', third], asSecond)).code, 0);
  t.equal((await rozen(['snapshots', repo], asSecond)).code, 12, 'old password gone');
  t.equal((await rozen(['snapshots', repo], { ...env, ROZEN_PASSWORD: 'third password' })).code, 0);
});
