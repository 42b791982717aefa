/** The tests of backup --stdin, --files-from*, --dry-run and the tag/size excludes, through the CLI: run on a local and an S3 repository. */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CLI, cliSandbox, collect, rozen, type CliResult } from '../helpers/cli.js';
import type { RunningS3rver } from '../helpers/s3rver.js';

interface Target {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly repo: string;
  /** Every stored object of the repository with its size: what a run that writes nothing leaves unchanged. */
  objects(): Promise<string[]>;
}

const TAG = 'Signature: 8a477f597d28d172789f06886806bc55';

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push(`${relative(root, path)} ${(await stat(path)).size}`);
  }
  return out.sort();
}

let repos = 0;
async function target(t: Test, s3: RunningS3rver | undefined): Promise<Target> {
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...(s3?.env ?? {}) };
  const repo = s3 ? `s3://${s3.bucket}/repo${repos++}` : join(dir, 'repo');
  const init = await rozen(['init', repo], env);
  t.equal(init.code, 0, init.stderr);
  const objects = (): Promise<string[]> => filesUnder(s3 ? s3.directory : repo);
  return { dir, env, repo, objects };
}

/** The CLI with `input` as its stdin: bytes written then closed, or an open file descriptor. */
function rozenWithStdin(args: readonly string[], env: Record<string, string>, input: Buffer | number): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: [typeof input === 'number' ? input : 'pipe', 'pipe', 'pipe'] });
  if (typeof input !== 'number') child.stdin?.end(input);
  return collect(child);
}

function summaryOf(r: CliResult): Record<string, unknown> {
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

async function listing(tg: Target, snapshot = 'latest'): Promise<string[]> {
  const r = await rozen(['ls', tg.repo, snapshot], tg.env);
  return r.stdout.split('\n').filter((l) => l !== '');
}

async function snapshotCount(tg: Target): Promise<number> {
  const r = await rozen(['snapshots', tg.repo, '--json'], tg.env);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

export function suite(t: Test, s3: () => RunningS3rver | undefined): void {
  t.test('--stdin stores the stream as /NAME, byte for byte, and an empty stdin as an empty file', async (t) => {
    const tg = await target(t, s3());
    const data = randomBytes(7 * 1024 * 1024 + 12345);
    const b = await rozenWithStdin(['backup', tg.repo, '--stdin', '--stdin-filename', 'db.sql', '--json'], tg.env, data);
    t.equal(b.code, 0, b.stderr);
    const s = summaryOf(b);
    t.equal(s['files_new'], 1);
    t.equal(s['bytes_read'], data.length);
    t.ok(Number(s['blobs_new']) >= 3, 'chunked into several blobs');
    t.same(await listing(tg), ['/db.sql']);
    const snaps = JSON.parse((await rozen(['snapshots', tg.repo, '--json'], tg.env)).stdout) as { paths: string[] }[];
    t.same(snaps[0]?.paths, ['/db.sql']);
    const long = await rozen(['ls', '--long', tg.repo, 'latest'], tg.env);
    t.match(long.stdout, /^-rw-r--r-- /m, 'mode 0644');
    const out = join(tg.dir, 'out');
    const r = await rozen(['restore', tg.repo, 'latest', '--target', out], tg.env);
    t.equal(r.code, 0, r.stderr);
    t.ok((await readFile(join(out, 'db.sql'))).equals(data), 'restored bytes equal the input');

    const again = await rozenWithStdin(['backup', tg.repo, '--stdin', '--stdin-filename', 'db.sql', '--json'], tg.env, data);
    t.equal(again.code, 0, again.stderr);
    t.equal(summaryOf(again)['files_changed'], 1, 'the parent had the file');
    t.equal(summaryOf(again)['blobs_new'], 0, 'the same stream again adds no data');

    const empty = await rozenWithStdin(['backup', tg.repo, '--stdin'], tg.env, Buffer.alloc(0));
    t.equal(empty.code, 0, empty.stderr);
    t.same(await listing(tg), ['/stdin'], 'default name');
    const out2 = join(tg.dir, 'out2');
    t.equal((await rozen(['restore', tg.repo, 'latest', '--target', out2], tg.env)).code, 0);
    t.equal((await stat(join(out2, 'stdin'))).size, 0);

    // A password command that reads its stdin (ssh does) must not take the stream's first bytes.
    const { ROZEN_PASSWORD: pw, ...noPassword } = tg.env;
    const viaCommand = { ...noPassword, ROZEN_PASSWORD_COMMAND: `head -c 1000 >/dev/null; printf '%s\\n' '${pw ?? ''}'` };
    const piped = await rozenWithStdin(['backup', tg.repo, '--stdin', '--stdin-filename', 'cmd.sql'], viaCommand, data);
    t.equal(piped.code, 0, piped.stderr);
    const out3 = join(tg.dir, 'out3');
    t.equal((await rozen(['restore', tg.repo, 'latest', '--target', out3], tg.env)).code, 0);
    t.ok((await readFile(join(out3, 'cmd.sql'))).equals(data), 'the stream stored whole with the password from a command');
  });

  t.test('--stdin: a read error leaves no snapshot; bad names and paths are refused', async (t) => {
    const tg = await target(t, s3());
    await writeFile(join(tg.dir, 'w'), '');
    const fd = await open(join(tg.dir, 'w'), 'w'); // reading a write-only descriptor fails with EBADF
    const r = await rozenWithStdin(['backup', tg.repo, '--stdin'], tg.env, fd.fd).finally(() => fd.close());
    t.equal(r.code, 1);
    t.match(r.stderr, 'rozen: stdin: EBADF');
    t.equal(await snapshotCount(tg), 0);
    const slash = await rozenWithStdin(['backup', tg.repo, '--stdin', '--stdin-filename', 'a/b'], tg.env, Buffer.from('x'));
    t.equal(slash.code, 2);
    t.match(slash.stderr, '--stdin-filename');
    const both = await rozenWithStdin(['backup', tg.repo, '--stdin', tg.dir], tg.env, Buffer.from('x'));
    t.equal(both.code, 2);
    t.equal(await snapshotCount(tg), 0);
  });

  t.test('--stdin: an interrupt leaves no snapshot', async (t) => {
    const tg = await target(t, s3());
    const child = spawn(process.execPath, [CLI, 'backup', tg.repo, '--stdin'], { env: tg.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    // Once 8 MiB went through the pipe (64 KiB of buffer), the backup is reading it under its lock.
    await new Promise<void>((resolve, reject) => child.stdin.write(randomBytes(8 * 1024 * 1024), (err) => (err ? reject(err) : resolve())));
    child.kill('SIGINT');
    const r = await done;
    child.stdin.destroy();
    t.equal(r.code, 130, r.stderr);
    t.match(r.stderr, 'no snapshot was written');
    t.equal(await snapshotCount(tg), 0);
  });

  t.test('--files-from, --files-from-verbatim and --files-from-raw add the listed paths', async (t) => {
    const tg = await target(t, s3());
    const src = join(tg.dir, 'src');
    await mkdir(src);
    const names = ['a', 'b c', ' lead', 'new\nline', '#hash', 'pos', 'skipped'];
    for (const n of names) await writeFile(join(src, n), n);
    const list = join(tg.dir, 'list');
    await writeFile(list, `# a comment\n\n  ${join(src, 'a')}  \n${join(src, 'b c')}\n`);
    const verbatim = join(tg.dir, 'verbatim');
    await writeFile(verbatim, `${join(src, ' lead')}\n\n${join(src, '#hash')}\n`);
    const raw = join(tg.dir, 'raw');
    await writeFile(raw, `${join(src, 'new\nline')}\0${join(src, 'missing')}\0`);
    const args = ['backup', tg.repo, join(src, 'pos'), '--files-from', list, '--files-from-verbatim', verbatim, '--files-from-raw', raw];
    const r = await rozen(args, tg.env);
    t.equal(r.code, 3, 'a listed path that does not exist is an error of the backup');
    t.match(r.stderr, `${join(src, 'missing')}: no such file or directory`);
    t.match(r.stderr, '1 file(s) could not be read');
    const got = (await listing(tg)).filter((p) => p.startsWith(`${src}/`) || p === 'line');
    const want = ['a', 'b c', ' lead', 'new\nline', '#hash', 'pos'].map((n) => join(src, n)).sort();
    t.same(got.sort(), want.join('\n').split('\n').sort(), 'everything listed, nothing else');

    const fromStdin = await rozenWithStdin(
      ['backup', tg.repo, '--files-from', '-', '--json'],
      tg.env,
      Buffer.from(`${join(src, 'skipped')}\n`),
    );
    t.equal(fromStdin.code, 0, fromStdin.stderr);
    t.same(
      (await listing(tg)).filter((p) => p.startsWith(`${src}/`)),
      [join(src, 'skipped')],
    );
    const none = join(tg.dir, 'none');
    await writeFile(none, `${join(src, 'gone')}\n`);
    const allMissing = await rozen(['backup', tg.repo, '--files-from', none], tg.env);
    t.equal(allMissing.code, 2);
    t.match(allMissing.stderr, 'none of the listed paths exists');
    t.equal((await rozen(['backup', tg.repo], tg.env)).code, 2, 'no paths at all');
  });

  t.test('--dry-run writes no object, reports what a backup would add, and teaches the cache nothing', async (t) => {
    const tg = await target(t, s3());
    const src = join(tg.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'small'), randomBytes(3000));
    await writeFile(join(src, 'large'), randomBytes(6 * 1024 * 1024));
    await writeFile(join(src, 'dup'), await readFile(join(src, 'small')));
    const before = await tg.objects();
    const dry = await rozen(['backup', tg.repo, src, '--dry-run', '--json'], tg.env);
    t.equal(dry.code, 0, dry.stderr);
    const d = summaryOf(dry);
    t.same(await tg.objects(), before, 'no object written');
    t.equal(d['dry_run'], true);
    t.equal(d['snapshot_id'], null);
    t.equal(d['files_new'], 3);
    t.ok(Number(d['bytes_added']) > 6 * 1024 * 1024, 'the new data is counted');
    t.equal(await snapshotCount(tg), 0);
    const text = await rozen(['backup', tg.repo, src, '-n'], tg.env);
    t.match(text.stdout, /would add .* to the repository/);
    t.match(text.stdout, 'dry run: nothing was written');

    const real = await rozen(['backup', tg.repo, src, '--json'], tg.env);
    const s = summaryOf(real);
    t.equal(s['blobs_new'], d['blobs_new'], 'the real backup stores what the dry run counted');
    t.ok(Math.abs(Number(s['bytes_added']) - Number(d['bytes_added'])) < 64 * 1024, 'about the bytes the dry run predicted');
    const check = await rozen(['check', tg.repo, '--read-data'], tg.env);
    t.equal(check.code, 0, check.stdout + check.stderr);

    await writeFile(join(src, 'small'), randomBytes(3000));
    const after = await tg.objects();
    const dry2 = await rozen(['backup', tg.repo, src, '--dry-run', '--json'], tg.env);
    const d2 = summaryOf(dry2);
    t.same(await tg.objects(), after, 'no object written with a parent either');
    t.equal(d2['files_changed'], 1);
    t.equal(d2['files_unmodified'], 2);
    t.equal(d2['blobs_new'], 1, "the changed file's blob");
    t.ok(Number(d2['bytes_added']) < 64 * 1024, 'and its trees');
  });

  t.test('--exclude-caches, --exclude-if-present and --exclude-larger-than', async (t) => {
    const tg = await target(t, s3());
    const src = join(tg.dir, 'src');
    const files: Record<string, string | Buffer> = {
      'cache/CACHEDIR.TAG': `${TAG}\n# a cache`,
      'cache/data': 'x',
      'cache/sub/deep': 'y',
      'fake/CACHEDIR.TAG': 'Signature: not it',
      'fake/data': 'z',
      'marked/.nobackup': '',
      'marked/secret': 's',
      'hdr/.tag': 'KEEP-OUT please',
      'hdr/data': 'h',
      'hdrno/.tag': 'other',
      'hdrno/data': 'h',
      'sizes/small': Buffer.alloc(1024),
      'sizes/big': Buffer.alloc(1025),
      'sizes/dir/inner': 'i',
    };
    for (const [p, content] of Object.entries(files)) {
      await mkdir(join(src, p, '..'), { recursive: true });
      await writeFile(join(src, p), content);
    }
    // A tag that is a symlink (to a valid tag here; it could be a device) is not opened, so it marks nothing.
    await mkdir(join(src, 'linked'));
    await symlink('../cache/CACHEDIR.TAG', join(src, 'linked/CACHEDIR.TAG'));
    await writeFile(join(src, 'linked/data'), 'l');
    const args = ['backup', tg.repo, src, '--exclude-caches', '--exclude-if-present', '.nobackup'];
    const r = await rozen([...args, '--exclude-if-present', '.tag:KEEP-OUT', '--exclude-larger-than', '1K'], tg.env);
    t.equal(r.code, 0, r.stderr);
    const got = (await listing(tg)).filter((p) => p.startsWith(`${src}/`)).map((p) => p.slice(src.length + 1));
    t.same(got.sort(), [
      'cache',
      'cache/CACHEDIR.TAG',
      'fake',
      'fake/CACHEDIR.TAG',
      'fake/data',
      'hdr',
      'hdr/.tag',
      'hdrno',
      'hdrno/.tag',
      'hdrno/data',
      'linked',
      'linked/CACHEDIR.TAG',
      'linked/data',
      'marked',
      'marked/.nobackup',
      'sizes',
      'sizes/dir',
      'sizes/dir/inner',
      'sizes/small',
    ]);
    const plain = await rozen(['backup', tg.repo, src], tg.env);
    t.equal(plain.code, 0);
    t.equal((await listing(tg)).filter((p) => p.startsWith(`${src}/`)).length, 25, 'without the options everything is kept');
    const bad = await rozen(['backup', tg.repo, src, '--exclude-larger-than', 'lots'], tg.env);
    t.equal(bad.code, 2);
  });
}
