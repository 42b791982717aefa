import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { native } from '../../src/snapshot/fs/native.js';
import { spawn } from 'node:child_process';
import { CLI, cliSandbox, collect, rozen, type CliResult } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { run } from '../fuse/shell.js';
import { startMount } from '../helpers/mount.js';

const skip = existsSync('/dev/fuse') ? false : '/dev/fuse is absent on this machine';

async function makeTree(src: string): Promise<void> {
  await mkdir(join(src, 'docs', 'deep'), { recursive: true });
  await writeFile(join(src, 'docs', 'a.txt'), 'hello from a snapshot\n'.repeat(1000));
  await writeFile(join(src, 'docs', 'deep', 'b.bin'), randomBytes(100_000));
  await writeFile(join(src, 'large.bin'), randomBytes(9 * 1024 * 1024 + 123));
  await link(join(src, 'docs', 'a.txt'), join(src, 'hardlink.txt'));
  await symlink('docs/a.txt', join(src, 'link'));
  native().lsetxattr(Buffer.from(join(src, 'docs', 'a.txt')), 'user.note', Buffer.from('kept'));
}

async function mountAndCheck(t: Test, repo: string, src: string, dir: string, env: Record<string, string>): Promise<void> {
  const { mnt, child, done } = await startMount(t, repo, dir, env);
  const root = join(mnt, 'snapshots', 'latest', src);
  t.equal(await readFile(join(root, 'docs', 'a.txt'), 'utf8'), 'hello from a snapshot\n'.repeat(1000));
  t.same(await readFile(join(root, 'large.bin')), await readFile(join(src, 'large.bin')), 'large file reads back');
  const [a, h] = await Promise.all([stat(join(root, 'docs', 'a.txt')), stat(join(root, 'hardlink.txt'))]);
  t.equal(a.ino, h.ino, 'hardlinks share an inode');
  const xattr = await run('getfattr', ['--only-values', '-n', 'user.note', join(root, 'docs', 'a.txt')]);
  t.equal(xattr.stdout, 'kept');
  const write = await run('touch', [join(root, 'new-file')]);
  t.not(write.code, 0, 'writes are refused');
  t.match(write.stderr, /Read-only file system/);
  const out = join(dir, 'out');
  const rs = await run('rsync', ['-aHAX', `${root}/`, `${out}/`]);
  t.equal(rs.code, 0, rs.stderr);
  const cmp = await run('rsync', ['-aHAX', '--numeric-ids', '--dry-run', '--itemize-changes', `${src}/`, `${out}/`]);
  t.equal(cmp.stdout, '', 'rsync -aHAX out of the mount gives the backed-up tree');
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, 0, `clean exit on SIGTERM: ${r.stderr}`);
  t.notOk((await readFile('/proc/mounts', 'utf8')).includes(mnt), 'unmounted');
}

t.test('rozen mount of a local repository', { skip }, async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  await makeTree(src);
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  await mountAndCheck(t, repo, src, dir, env);
});

t.test('rozen mount of an S3 repository (s3rver)', { skip }, async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...s3.env };
  const src = join(dir, 'src');
  await makeTree(src);
  const repo = `s3://${s3.bucket}/repo`;
  t.equal((await rozen(['init', repo], env)).code, 0);
  const b = await rozen(['backup', repo, src], env);
  t.equal(b.code, 0, b.stderr);
  await mountAndCheck(t, repo, src, dir, env);
});

t.test('a repository without extended attributes is mounted without xattr support (fast ls -l)', { skip }, async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'plain');
  await mkdir(src);
  await writeFile(join(src, 'f.txt'), 'no xattrs here');
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  const { mnt, child, done } = await startMount(t, repo, dir, env);
  const file = join(mnt, 'snapshots', 'latest', src, 'f.txt');
  t.equal(await readFile(file, 'utf8'), 'no xattrs here');
  const g = await run('getfattr', ['-d', file]);
  t.equal(g.stdout, '', 'no attributes listed');
  child.kill('SIGTERM');
  t.equal((await done).code, 0);
});

t.test('--verify-ids re-hashes file data to its ids: a blob sealed from other bytes than were hashed is EIO', { skip }, async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'bad.bin'), randomBytes(3000));
  await writeFile(join(src, 'good.txt'), 'still served');
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  t.equal((await rozen(['backup', repo, src], env)).code, 0);
  // The fault only the id check sees: an authentic blob under bad.bin's id whose plaintext is other bytes.
  const other = await resealOtherBytes(repo, env, join(src, 'bad.bin'));

  const trusting = await startMount(t, repo, join(dir, 'a'), env);
  t.same(await readFile(join(trusting.mnt, 'snapshots', 'latest', src, 'bad.bin')), other, 'by default the tag vouches for the bytes');
  trusting.child.kill('SIGTERM');
  t.equal((await trusting.done).code, 0);

  const verifying = await startMount(t, repo, join(dir, 'b'), env, ['--verify-ids']);
  const root = join(verifying.mnt, 'snapshots', 'latest', src);
  const cat = await run('cat', [join(root, 'bad.bin')]);
  t.not(cat.code, 0, 'with --verify-ids the read fails');
  t.match(cat.stderr, /Input\/output error/);
  t.equal(await readFile(join(root, 'good.txt'), 'utf8'), 'still served', 'and the mount keeps serving');
  verifying.child.kill('SIGTERM');
  const r = await verifying.done;
  t.equal(r.code, 0);
  t.match(r.stderr, /does not match its id/, 'the failed read is logged');
});

/** Replaces the blob of `file` (small and incompressible: stored raw) by one sealed from other bytes under its id. */
async function resealOtherBytes(url: string, env: Record<string, string>, file: string): Promise<Buffer> {
  const { openBackend } = await import('../../src/backend/open.js');
  const { Repository } = await import('../../src/repo/repository.js');
  const { findSnapshot } = await import('../../src/repo/snapshots.js');
  const { findNode } = await import('../../src/snapshot/trees.js');
  const { seal } = await import('../../src/crypto/xchacha.js');
  const { blobIdBytes } = await import('../../src/crypto/blob-id.js');
  const { packName } = await import('../../src/cas/pack-path.js');
  const backend = await openBackend(url);
  const repo = await Repository.open(backend, env['ROZEN_PASSWORD'] as string, { cacheDir: env['ROZEN_CACHE_DIR'] as string });
  try {
    const snap = await findSnapshot(repo, 'latest');
    const id = (await findNode(repo, snap.tree, file))!.content![0]!;
    const loc = await repo.locate(id);
    const other = randomBytes(loc.rawLength);
    const sealed = seal(repo.master.encKey, Buffer.concat([Buffer.from([0]), other]), blobIdBytes(id));
    if (sealed.length !== loc.length) throw new Error('the blob was not stored raw');
    const bytes = Buffer.from(await backend.get(packName(loc.pack)));
    bytes.set(sealed, loc.offset);
    await backend.put(packName(loc.pack), bytes);
    return other;
  } finally {
    await repo.close();
  }
}

t.test('mount refuses a non-empty mountpoint with one clear line', { skip }, async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  await mkdir(join(dir, 'full'));
  await writeFile(join(dir, 'full', 'x'), 'x');
  const r = await rozen(['mount', repo, join(dir, 'full')], env);
  t.not(r.code, 0);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, /not an empty directory/);
});

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs `cmd` as nobody (a mount without allow_other is open to its owner only). */
function asNobody(cmd: string, args: readonly string[]): Promise<CliResult> {
  return collect(spawn(cmd, args, { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] }));
}

t.test(
  'a user other than root mounts through fusermount, and Ctrl-C unmounts',
  { skip: skip || (asRoot ? false : 'needs root to run the CLI as another user') },
  async (t) => {
    const { dir, env } = await cliSandbox(t);
    await chmod(dir, 0o755);
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'mine.txt'), 'served to nobody\n');
    const repo = join(dir, 'repo');
    await rozen(['init', repo], env);
    t.equal((await rozen(['backup', repo, src], env)).code, 0);
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    await mkdir(join(dir, 'cache'), { recursive: true });
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, repo, mnt, join(dir, 'cache')]);
    // /dev/fuse is 0666 on most systems (fusermount is the gate); some VMs and containers make it 0600.
    const mode = (await stat('/dev/fuse')).mode & 0o777;
    await chmod('/dev/fuse', 0o666);
    t.teardown(() => chmod('/dev/fuse', mode));
    const childEnv: Record<string, string> = { ...env, HOME: dir, PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' };
    delete childEnv['NODE_OPTIONS']; // the test runner's hooks write where nobody may not
    const child = spawn(process.execPath, [CLI, 'mount', repo, mnt], {
      env: childEnv,
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = collect(child);
    t.teardown(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await done;
      await run('fusermount', ['-uz', mnt]);
    });
    const file = join(mnt, 'snapshots', 'latest', src, 'mine.txt');
    let read: CliResult | undefined;
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      read = await asNobody('cat', [file]);
      if (read.code === 0) break;
      await sleep(100);
    }
    t.equal(read?.stdout, 'served to nobody\n', read?.stderr ?? 'cat never ran');
    const line = (await readFile('/proc/mounts', 'utf8')).split('\n').find((l) => l.includes(mnt)) ?? '';
    t.match(line, /user_id=65534/, 'mounted for nobody');
    child.kill('SIGINT');
    const r = await done;
    t.equal(r.code, 0, r.stderr);
    t.notOk((await readFile('/proc/mounts', 'utf8')).includes(mnt), 'unmounted by fusermount');
  },
);
