/** `rozen copy` between repositories with different passwords (so different keys), local and S3, through the CLI. */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, symlink, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen, type CliResult } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { treeListing } from '../helpers/tree-compare.js';

type Env = Record<string, string>;

/** A small tree: a few small files, a directory, a symlink, and one file over the 4 MiB large-file size. */
async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
  await writeFile(join(root, 'a.txt'), 'alpha\n'.repeat(1000));
  await writeFile(join(root, 'sub', 'b.bin'), randomBytes(70_000));
  await writeFile(join(root, 'sub', 'deeper', 'c.txt'), 'gamma');
  await writeFile(join(root, 'empty'), '');
  await writeFile(join(root, 'large.bin'), randomBytes(5 * 1024 * 1024 + 123));
  await symlink('a.txt', join(root, 'link'));
}

/** Every regular file below `root` with its whole content, by relative path. */
async function contents(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name).slice(root.length), (await readFile(join(e.parentPath, e.name))).toString('base64'));
  }
  return out;
}

const ok = (t: Test, r: CliResult, what: string): void => void t.equal(r.code, 0, `${what}: ${r.stderr}`);

/** The last line of a --json run, parsed. */
const summary = (r: CliResult): Record<string, unknown> =>
  JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;

interface Setup {
  readonly data: string;
  readonly srcEnv: Env;
  readonly dstEnv: Env;
  /** Environment for copy: the destination's password, the source's in ROZEN_FROM_PASSWORD. */
  readonly copyEnv: Env;
}

/** Two repositories with other passwords; the source holds two snapshots of `data` (the second after a change). */
async function setup(t: Test, src: string, dst: string, extra: Env = {}): Promise<Setup> {
  const { dir, env } = await cliSandbox(t);
  const data = join(dir, 'data');
  await makeTree(data);
  const srcEnv = { ...env, ...extra, ROZEN_PASSWORD: 'source pw' };
  const dstEnv = { ...env, ...extra, ROZEN_PASSWORD: 'destination pw' };
  ok(t, await rozen(['init', src], srcEnv), 'init source');
  ok(t, await rozen(['init', dst], dstEnv), 'init destination');
  ok(t, await rozen(['backup', src, data, '--quiet', '--tag', 'one'], srcEnv), 'backup 1');
  await writeFile(join(data, 'sub', 'deeper', 'c.txt'), 'gamma, changed');
  ok(t, await rozen(['backup', src, data, '--quiet', '--host', 'other'], srcEnv), 'backup 2');
  return { data, srcEnv, dstEnv, copyEnv: { ...dstEnv, ROZEN_FROM_PASSWORD: 'source pw' } };
}

async function restoredEquals(t: Test, repo: string, s: Setup, dir: string): Promise<void> {
  const target = join(dir, `restored-${Math.random().toString(36).slice(2)}`);
  ok(t, await rozen(['restore', repo, 'latest', '--target', target], s.dstEnv), 'restore from the destination');
  t.same(await treeListing(join(target, s.data)), await treeListing(s.data), 'metadata equal');
  t.same(await contents(join(target, s.data)), await contents(s.data), 'every file equal byte for byte');
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

t.test('local to local: restore from the copy equals the source, check --read-data passes, a second run copies nothing', async (t) => {
  const { dir } = await cliSandbox(t);
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const s = await setup(t, src, dst);
  const first = await rozen(['copy', src, dst, '--json'], s.copyEnv);
  ok(t, first, 'copy');
  const sum = summary(first);
  t.equal(sum['snapshots_copied'], 2);
  t.ok(Number(sum['blobs_written']) > 5, 'blobs written');
  await restoredEquals(t, dst, s, dir);
  const check = await rozen(['check', dst, '--read-data'], s.dstEnv);
  ok(t, check, 'check --read-data on the destination');
  t.match(check.stdout, /no errors were found/);

  const snaps = JSON.parse((await rozen(['snapshots', dst, '--json'], s.dstEnv)).stdout) as Record<string, unknown>[];
  const srcSnaps = JSON.parse((await rozen(['snapshots', src, '--json'], s.srcEnv)).stdout) as Record<string, unknown>[];
  t.same(
    snaps.map((x) => [x['original'], x['hostname'], x['tags'], x['time']]),
    srcSnaps.map((x) => [x['id'], x['hostname'], x['tags'], x['time']]),
    'copies record their originals, host, tags and time',
  );
  t.notSame(snaps[0]?.['tree'], srcSnaps[0]?.['tree'], 'tree ids are keyed per repository');

  const files = await countFiles(dst);
  const again = await rozen(['copy', src, dst], s.copyEnv);
  ok(t, again, 'second copy');
  t.match(again.stdout, /nothing to copy: 2 snapshot\(s\) already in the destination/);
  t.equal(await countFiles(dst), files, 'nothing written the second time');

  // A source snapshot rewritten (a secret dropped) keeps its original, time, paths and tags: it is copied again.
  ok(t, await rozen(['rewrite', src, 'latest', '--exclude', 'c.txt'], s.srcEnv), 'rewrite the source');
  const rewritten = await rozen(['copy', src, dst, '--json'], s.copyEnv);
  ok(t, rewritten, 'copy after the rewrite');
  t.equal(summary(rewritten)['snapshots_copied'], 1, 'the rewritten snapshot is copied');
  const made = (summary(rewritten)['snapshots'] as { copy: string; skipped: boolean }[]).find((x) => !x.skipped);
  const listed = await rozen(['ls', dst, made?.copy ?? 'none'], s.dstEnv);
  ok(t, listed, 'ls of the new copy');
  t.notMatch(listed.stdout, /c\.txt/, 'the copy lacks what the rewrite dropped');
  t.match(listed.stdout, /a\.txt/);

  const backup = await rozen(['backup', dst, s.data, '--json'], s.dstEnv);
  t.equal(summary(backup)['blobs_new'], 0, 'a backup into the destination deduplicates against the copied data (its own chunking)');
});

t.test('a subset by id, then the rest; --host filter', async (t) => {
  const { dir } = await cliSandbox(t);
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const s = await setup(t, src, dst);
  const srcSnaps = JSON.parse((await rozen(['snapshots', src, '--json'], s.srcEnv)).stdout) as { id: string; short_id: string }[];
  const [first, second] = srcSnaps;
  if (!first || !second) throw new Error('two snapshots expected');
  const one = await rozen(['copy', src, dst, first.short_id, '--json'], s.copyEnv);
  ok(t, one, 'copy by short id');
  t.same(
    (summary(one)['snapshots'] as { source: string }[]).map((x) => x.source),
    [first.id],
  );
  const byHost = await rozen(['copy', src, dst, '--host', 'other', '--json'], s.copyEnv);
  ok(t, byHost, 'copy --host other');
  t.equal(summary(byHost)['snapshots_copied'], 1);
  t.equal(summary(byHost)['snapshots_skipped'], 0, 'the first snapshot is of another host: not selected');
  const all = await rozen(['copy', src, dst, 'latest', first.id], s.copyEnv);
  ok(t, all, 'copy latest and the first again');
  t.match(all.stdout, /nothing to copy: 2 snapshot/);
  const self = await rozen(['copy', src, src], { ...s.copyEnv, ROZEN_PASSWORD: 'source pw' });
  t.equal(self.code, 2, 'a repository is not copied into itself');
  t.match(self.stderr, /the source and the destination are the same repository/);
  const bad = await rozen(['copy', src, dst, 'ffffffff'], s.copyEnv);
  t.equal(bad.code, 1, 'an unknown id fails');
  t.match(bad.stderr, /no snapshot with id ffffffff/);
});

t.test('a damaged source blob: one line naming it, non-zero exit, the destination stays consistent', async (t) => {
  const { dir } = await cliSandbox(t);
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const s = await setup(t, src, dst);
  // The largest pack holds the chunks of large.bin: flip one byte inside its first blob.
  const packs: { path: string; size: number }[] = [];
  for (const e of await readdir(join(src, 'packs'), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) packs.push({ path: join(e.parentPath, e.name), size: (await stat(join(e.parentPath, e.name))).size });
  }
  const largest = packs.sort((a, b) => b.size - a.size)[0];
  if (!largest) throw new Error('no pack');
  const fh = await open(largest.path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, 100);
  b[0] = (b[0] ?? 0) ^ 0xff;
  await fh.write(b, 0, 1, 100);
  await fh.close();
  const r = await rozen(['copy', src, dst], s.copyEnv);
  t.equal(r.code, 1, 'exit 1');
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${r.stderr}`);
  t.match(lines[0], new RegExp(`pack ${largest.path.split('/').at(-1)?.slice(0, 8)}: blob [0-9a-f]{8}.* is corrupt`));
  t.equal((JSON.parse((await rozen(['snapshots', dst, '--json'], s.dstEnv)).stdout) as unknown[]).length, 0, 'no snapshot written');
  ok(t, await rozen(['check', dst, '--read-data'], s.dstEnv), 'check passes on the destination');
});

t.test('local to S3 and S3 to local', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { dir } = await cliSandbox(t);
  const src = join(dir, 'src');
  const remote = `s3://${s3.bucket}/copy`;
  const s = await setup(t, src, remote, s3.env);
  const up = await rozen(['copy', src, remote, '--json'], s.copyEnv);
  ok(t, up, 'local to S3');
  t.equal(summary(up)['snapshots_copied'], 2);
  ok(t, await rozen(['check', remote, '--read-data'], s.dstEnv), 'check the S3 copy');
  await restoredEquals(t, remote, s, dir);
  const again = await rozen(['copy', src, remote, '--json'], s.copyEnv);
  t.equal(summary(again)['blobs_written'], 0, 'a second run to S3 writes nothing');

  const back = join(dir, 'back');
  ok(t, await rozen(['init', back], { ...s.srcEnv, ROZEN_PASSWORD: 'third pw' }), 'init local');
  const down = await rozen(['copy', remote, back, '--json'], {
    ...s.srcEnv,
    ROZEN_PASSWORD: 'third pw',
    ROZEN_FROM_PASSWORD: 'destination pw',
  });
  ok(t, down, 'S3 to local');
  t.equal(summary(down)['snapshots_copied'], 2);
  const snaps = JSON.parse((await rozen(['snapshots', back, '--json'], { ...s.srcEnv, ROZEN_PASSWORD: 'third pw' })).stdout) as {
    original: string;
  }[];
  const first = JSON.parse((await rozen(['snapshots', src, '--json'], s.srcEnv)).stdout) as { id: string }[];
  t.same(
    snaps.map((x) => x.original),
    first.map((x) => x.id),
    'a copy of a copy keeps the first original',
  );
  ok(t, await rozen(['check', back, '--read-data'], { ...s.srcEnv, ROZEN_PASSWORD: 'third pw' }), 'check the local copy');
  const round = await rozen(['copy', src, back, '--json'], { ...s.srcEnv, ROZEN_PASSWORD: 'third pw', ROZEN_FROM_PASSWORD: 'source pw' });
  t.equal(summary(round)['snapshots_copied'], 0, 'copying the originals where their copies are copies nothing');
});

t.test('the source password: --from-password-file, ROZEN_FROM_PASSWORD_FILE, ROZEN_FROM_PASSWORD_COMMAND', async (t) => {
  const { dir } = await cliSandbox(t);
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const s = await setup(t, src, dst);
  const pwFile = join(dir, 'from-pw');
  await writeFile(pwFile, 'source pw\n');
  const { ROZEN_FROM_PASSWORD: _drop, ...dstOnly } = s.copyEnv;
  const none = await rozen(['copy', src, dst], dstOnly);
  t.equal(none.code, 2, 'no source password: exit 2');
  t.match(none.stderr, /ROZEN_FROM_PASSWORD/);
  const wrong = await rozen(['copy', src, dst], { ...dstOnly, ROZEN_FROM_PASSWORD: 'nope' });
  t.equal(wrong.code, 12, 'a wrong source password: exit 12');
  const byFile = await rozen(['copy', src, dst, '--from-password-file', pwFile, 'latest', '--json'], dstOnly);
  ok(t, byFile, '--from-password-file');
  t.equal(summary(byFile)['snapshots_copied'], 1);
  const byEnvFile = await rozen(['copy', src, dst, '--json'], { ...dstOnly, ROZEN_FROM_PASSWORD_FILE: pwFile });
  ok(t, byEnvFile, 'ROZEN_FROM_PASSWORD_FILE');
  t.equal(summary(byEnvFile)['snapshots_copied'], 1);
  // The command sees neither password variable: both are out of the environment before it runs.
  const cmd = 'test -z "$ROZEN_PASSWORD$ROZEN_FROM_PASSWORD_FILE" && echo "source pw"';
  const byCmd = await rozen(['copy', src, dst, '--json'], {
    ...dstOnly,
    ROZEN_FROM_PASSWORD_FILE: '/nonexistent',
    ROZEN_FROM_PASSWORD_COMMAND: cmd,
  });
  ok(t, byCmd, 'ROZEN_FROM_PASSWORD_COMMAND, before ROZEN_FROM_PASSWORD_FILE');
  t.equal(summary(byCmd)['snapshots_copied'], 0);
});

t.test('--rechunk: a large file changed between snapshots restores exactly, its unchanged start is not read again', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const data = join(dir, 'data');
  await mkdir(data);
  const file = join(data, 'disk.img');
  const versions = [randomBytes(9 * 1024 * 1024)];
  const v0 = versions[0] ?? Buffer.alloc(0);
  versions.push(Buffer.concat([v0.subarray(0, 7 * 1024 * 1024), Buffer.from('inserted'), v0.subarray(7 * 1024 * 1024)]));
  versions.push(Buffer.concat([versions[1] ?? Buffer.alloc(0), randomBytes(100_000)]));
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const srcEnv = { ...env, ROZEN_PASSWORD: 'source pw' };
  const dstEnv = { ...env, ROZEN_PASSWORD: 'destination pw' };
  ok(t, await rozen(['init', src], srcEnv), 'init source');
  ok(t, await rozen(['init', dst], dstEnv), 'init destination');
  for (const [i, v] of versions.entries()) {
    await writeFile(file, v);
    ok(t, await rozen(['backup', src, data, '--quiet', '--tag', `v${i}`], srcEnv), `backup ${i}`);
  }
  const copy = await rozen(['copy', src, dst, '--json', '--rechunk'], { ...dstEnv, ROZEN_FROM_PASSWORD: 'source pw' });
  ok(t, copy, 'copy --rechunk');
  const total = versions.reduce((n, v) => n + v.length, 0);
  t.ok(
    Number(summary(copy)['bytes_read']) < total - 8 * 1024 * 1024,
    `the versions' shared starts were read once (${String(summary(copy)['bytes_read'])} of ${total})`,
  );
  for (const [i, v] of versions.entries()) {
    const target = join(dir, `r${i}`);
    ok(t, await rozen(['restore', dst, 'latest', '--tag', `v${i}`, '--target', target], dstEnv), `restore v${i}`);
    t.ok((await readFile(join(target, file))).equals(v), `version ${i} byte for byte`);
  }
  ok(t, await rozen(['check', dst, '--read-data'], dstEnv), 'check --read-data');
});

t.test('copies in separate runs read only what changed since the copy before (large file, renamed directory)', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const data = join(dir, 'data');
  await mkdir(join(data, 'photos'), { recursive: true });
  const big = randomBytes(9 * 1024 * 1024);
  await writeFile(join(data, 'disk.img'), big);
  for (let i = 0; i < 30; i++) await writeFile(join(data, 'photos', `p${i}.jpg`), randomBytes(100_000));
  await writeFile(join(data, 'note.txt'), 'first');
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const srcEnv = { ...env, ROZEN_PASSWORD: 'source pw' };
  const dstEnv = { ...env, ROZEN_PASSWORD: 'destination pw' };
  const copyEnv = { ...dstEnv, ROZEN_FROM_PASSWORD: 'source pw' };
  ok(t, await rozen(['init', src], srcEnv), 'init source');
  ok(t, await rozen(['init', dst], dstEnv), 'init destination');
  ok(t, await rozen(['backup', src, data, '--quiet'], srcEnv), 'backup 1');
  const first = await rozen(['copy', src, dst, '--json'], copyEnv);
  ok(t, first, 'copy 1');
  t.ok(Number(summary(first)['bytes_read']) >= big.length + 3_000_000, 'the first copy reads everything');

  const v1 = Buffer.concat([big.subarray(0, 5 * 1024 * 1024), Buffer.from('inserted'), big.subarray(5 * 1024 * 1024)]);
  await writeFile(join(data, 'disk.img'), v1);
  await rename(join(data, 'photos'), join(data, 'pictures'));
  await writeFile(join(data, 'note.txt'), 'second');
  ok(t, await rozen(['backup', src, data, '--quiet'], srcEnv), 'backup 2');
  const second = await rozen(['copy', src, dst, '--json'], copyEnv);
  ok(t, second, 'copy 2');
  t.equal(summary(second)['snapshots_copied'], 1);
  const read = Number(summary(second)['bytes_read']);
  t.ok(read < 3 * 1024 * 1024, `only the changed blobs of disk.img and note.txt were read (${read} bytes)`);

  for (const [i, want] of [big, v1].entries()) {
    const target = join(dir, `r${i}`);
    const id = (JSON.parse((await rozen(['snapshots', dst, '--json'], dstEnv)).stdout) as { id: string }[])[i]?.id ?? 'none';
    ok(t, await rozen(['restore', dst, id, '--target', target], dstEnv), `restore copy ${i}`);
    t.ok((await readFile(join(target, data, 'disk.img'))).equals(want), `disk.img of copy ${i} byte for byte`);
  }
  const target = join(dir, 'latest');
  ok(t, await rozen(['restore', dst, 'latest', '--target', target], dstEnv), 'restore latest');
  t.same(await contents(join(target, data)), await contents(data), 'the latest copy equals the data');
  ok(t, await rozen(['check', dst, '--read-data'], dstEnv), 'check --read-data');
});
