import t from 'tap';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliSandbox, collect, rozen } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { CLI } from '../helpers/cli.js';

const run = promisify(execFile);
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

t.test(
  'an unreadable file is reported, the rest backed up, exit 3',
  { skip: asRoot ? false : 'needs root to run the CLI as another user' },
  async (t) => {
    const { dir, env } = await cliSandbox(t);
    await chmod(dir, 0o755);
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'readable.txt'), 'fine');
    await writeFile(join(src, 'secret.txt'), 'no access');
    await chmod(join(src, 'secret.txt'), 0o000);
    const repo = join(dir, 'repo');
    await rozen(['init', repo], env);
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, repo]);
    await mkdir(join(dir, 'cache'), { recursive: true });
    await chown(join(dir, 'cache'), NOBODY, NOBODY);
    const child = spawn(process.execPath, [CLI, 'backup', repo, src], {
      env: { ...env, HOME: dir },
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = await collect(child);
    t.equal(r.code, 3, r.stderr);
    t.match(r.stderr, /secret\.txt: permission denied/);
    t.equal((await readdir(join(repo, 'snapshots'))).length, 1, 'snapshot written');
    const ls = await rozen(['ls', repo, 'latest', src], env);
    t.match(ls.stdout, /readable\.txt/);
    t.notMatch(ls.stdout, /secret\.txt/);
  },
);

t.test('a full target disk: one clear line, exit 1', { skip: asRoot ? false : 'needs root to mount a tmpfs' }, async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'big.bin'), randomBytes(6 * 1024 * 1024));
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  const small = join(dir, 'small');
  await mkdir(small);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  t.teardown(() => run('umount', ['-l', small]).catch(() => undefined));
  const r = await rozen(['restore', repo, 'latest', '--target', small], env);
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, /no space left/i);
});

t.test(
  'a repository in a full filesystem: backup fails with one clear line and the repository stays usable',
  { skip: asRoot ? false : 'needs root to mount a tmpfs' },
  async (t) => {
    const { dir, env } = await cliSandbox(t);
    const small = join(dir, 'small');
    await mkdir(small);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    t.teardown(() => run('umount', ['-l', small]).catch(() => undefined));
    const repo = join(small, 'repo');
    t.equal((await rozen(['init', repo], env)).code, 0);
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), randomBytes(5 * 1024 * 1024));
    const r = await rozen(['backup', repo, src], env);
    t.equal(r.code, 1);
    t.match(r.stderr, /no space left/i);
    t.equal((await rozen(['snapshots', repo, '--json'], env)).stdout.trim(), '[]', 'no snapshot, repository opens');
    const check = await rozen(['check', repo], env);
    t.equal(check.code, 0, check.stdout + check.stderr);
  },
);
