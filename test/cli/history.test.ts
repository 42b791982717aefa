/**
 * `rozen history` and the mount's /history through the real CLI and a real FUSE mount, on a local and
 * an S3 repository: a file whose content changes, whose mtime alone changes, that stays the same, is
 * deleted and comes back; and the mount's --host/--tag/--path filters.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { startMount, stopMount } from '../helpers/mount.js';
import { startS3rver } from '../helpers/s3rver.js';

const skipMount = existsSync('/dev/fuse') ? false : '/dev/fuse is absent on this machine';
const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

interface Step {
  /** What the file holds after this step (undefined: deleted), and the tag of the backup. */
  readonly content: string | undefined;
  readonly mtime?: number;
  readonly tag: string;
}

/** content, content change, mtime only, unchanged, deleted, back (same bytes as before: still a new version). */
const STEPS: readonly Step[] = [
  { content: 'first version\n', mtime: 1_700_000_000, tag: 'odd' },
  { content: 'second version\n', mtime: 1_700_000_100, tag: 'even' },
  { content: 'second version\n', mtime: 1_700_000_200, tag: 'odd' },
  { content: 'second version\n', mtime: 1_700_000_200, tag: 'even' },
  { content: undefined, tag: 'odd' },
  { content: 'second version\n', mtime: 1_700_000_200, tag: 'even' },
];
const EXPECTED_CHANGES = ['added', 'content', 'metadata', 'added'];
/** Indexes of the steps each version starts at, and the snapshots it spans. */
const EXPECTED_SPANS = [[0], [1], [2, 3], [5]];

interface Backed {
  readonly src: string;
  /** Snapshot id and time per step, in order. */
  readonly snaps: { id: string; time: string }[];
}

async function backUpSteps(t: Test, repo: string, dir: string, env: Record<string, string>): Promise<Backed> {
  const src = join(dir, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'sub', 'same.txt'), 'never changes\n');
  const snaps: { id: string; time: string }[] = [];
  for (const [i, step] of STEPS.entries()) {
    const file = join(src, 'report.odt');
    if (step.content === undefined) await rm(file);
    else {
      await writeFile(file, step.content);
      await utimes(file, step.mtime ?? 0, step.mtime ?? 0);
    }
    if (i === 1) await writeFile(join(src, 'only-once.txt'), 'here in one snapshot\n');
    if (i === 2) await rm(join(src, 'only-once.txt'));
    const b = await rozen(['backup', repo, src, '--tag', step.tag, '--json'], env);
    t.equal(b.code, 0, b.stderr);
    const summary = JSON.parse(b.stdout.trim().split('\n').at(-1) as string) as { snapshot_id: string };
    snaps.push({ id: summary.snapshot_id, time: '' });
  }
  const listed = JSON.parse((await rozen(['snapshots', repo, '--json'], env)).stdout) as { id: string; time: string }[];
  for (const s of snaps) s.time = (listed.find((l) => l.id === s.id) as { time: string }).time;
  return { src, snaps };
}

/** Names as the mount should give them: the time of the first snapshot, with the short id on a collision. */
function expectedNames(b: Backed): string[] {
  const seen = new Set<string>();
  return EXPECTED_SPANS.map((span) => {
    const first = b.snaps[span[0] as number] as { id: string; time: string };
    let name = `report.odt@${new Date(first.time).toISOString().slice(0, 19)}`;
    if (seen.has(name)) name += `-${first.id.slice(0, 8)}`;
    seen.add(name);
    return name;
  });
}

async function checkCli(t: Test, repo: string, b: Backed, env: Record<string, string>): Promise<void> {
  const r = await rozen(['history', repo, join(b.src, 'report.odt'), '--json'], env);
  t.equal(r.code, 0, r.stderr);
  const versions = JSON.parse(r.stdout) as { name: string; change: string; short_ids: string[]; size: number }[];
  t.same(
    versions.map((v) => v.change),
    EXPECTED_CHANGES,
  );
  t.same(
    versions.map((v) => v.short_ids),
    EXPECTED_SPANS.map((span) => span.map((i) => (b.snaps[i] as { id: string }).id.slice(0, 8))),
  );
  t.same(
    versions.map((v) => v.name),
    expectedNames(b),
  );
  const table = await rozen(['history', repo, join(b.src, 'report.odt')], env);
  t.match(table.stdout, /metadata only/);
  t.match(table.stdout, /4 version\(s\)/);
  const tagged = JSON.parse(
    (await rozen(['history', repo, join(b.src, 'report.odt'), '--json', '--tag', 'even'], env)).stdout,
  ) as unknown[];
  t.equal(tagged.length, 2, 'with --tag even: step 2, then steps 4 and 6 are the same (step 5 is not among them)');
}

async function checkMount(t: Test, repo: string, b: Backed, dir: string, env: Record<string, string>): Promise<void> {
  const m = await startMount(t, repo, dir, env);
  const hist = join(m.mnt, 'history', b.src);
  t.same((await readdir(hist)).sort(), ['only-once.txt', 'report.odt', 'sub'], 'children: the union over the snapshots');
  t.same(await readdir(join(hist, 'sub', 'same.txt')), [
    `same.txt@${new Date((b.snaps[0] as { time: string }).time).toISOString().slice(0, 19)}`,
  ]);
  const names = await readdir(join(hist, 'report.odt'));
  t.same(names.sort(), expectedNames(b).sort());
  // Every version, in a random order, all at once: the bytes backed up at that time.
  const want = EXPECTED_SPANS.map((span) => sha((STEPS[span[0] as number] as Step).content as string));
  const order = expectedNames(b)
    .map((name, i) => ({ name, i, key: Math.random() }))
    .sort((x, y) => x.key - y.key);
  const got = await Promise.all(order.map(async ({ name, i }) => ({ i, hash: sha(await readFile(join(hist, 'report.odt', name))) })));
  for (const { i, hash } of got) t.equal(hash, want[i], `version ${i}`);
  t.equal((await rozen(['history', repo, join(b.src, 'report.odt')], env)).code, 0, 'history runs beside a mount');
  t.equal((await stopMount(m)).code, 0);
}

async function checkFilters(t: Test, repo: string, b: Backed, dir: string, env: Record<string, string>): Promise<void> {
  const m = await startMount(t, repo, join(dir, 'filtered'), env, ['--tag', 'even']);
  t.equal((await readdir(join(m.mnt, 'snapshots'))).length, 4, 'three snapshots tagged even and latest');
  t.same(await readdir(join(m.mnt, 'tags')), ['even']);
  t.equal((await readdir(join(m.mnt, 'history', b.src, 'report.odt'))).length, 2);
  t.equal((await stopMount(m)).code, 0);
  const other = await startMount(t, repo, join(dir, 'other'), env, ['--path', b.src, '--host', hostname(), '--tag', 'odd']);
  t.equal((await readdir(join(other.mnt, 'snapshots'))).length, 4, 'three snapshots tagged odd and latest');
  t.same(await readdir(join(other.mnt, 'history', b.src, 'report.odt')), [expectedNames(b)[0], expectedNames(b)[2]], 'odd: steps 1 and 3');
  t.equal((await stopMount(other)).code, 0);
}

async function scenario(t: Test, repo: string, dir: string, env: Record<string, string>, mount: boolean): Promise<void> {
  t.equal((await rozen(['init', repo], env)).code, 0);
  const b = await backUpSteps(t, repo, dir, env);
  await checkCli(t, repo, b, env);
  if (!mount) return;
  await checkMount(t, repo, b, dir, env);
  await checkFilters(t, repo, b, dir, env);
}

t.test('history of a local repository, in the CLI and the mount', async (t) => {
  const { dir, env } = await cliSandbox(t);
  await scenario(t, join(dir, 'repo'), dir, env, skipMount === false);
});

t.test('history of an S3 repository (s3rver), in the CLI and the mount', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { dir, env } = await cliSandbox(t);
  await scenario(t, `s3://${s3.bucket}/repo`, dir, { ...env, ...s3.env }, skipMount === false);
});

t.test('history refuses a bad path and a path in no snapshot', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  await rozen(['init', repo], env);
  const r = await rozen(['history', repo, '/'], env);
  t.equal(r.code, 2, r.stderr);
  const missing = await rozen(['history', repo, join(dir, 'never-backed-up')], env);
  t.equal(missing.code, 1, 'a path in no snapshot is an error');
  t.match(missing.stderr, /never-backed-up is in none of the 0 snapshot/);
});
