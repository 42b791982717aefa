/** SIGKILL of a `rozen prune` process at points through its writes: afterwards check passes and every snapshot restores. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backend/local.js';
import type { SnapshotId } from '../../src/core/ids.js';
import { forget } from '../../src/lifecycle/forget.js';
import { acquireLock, removeLocks } from '../../src/repo/lock.js';
import { Repository } from '../../src/repo/repository.js';
import { RepoChanges } from '../helpers/repo-changes.js';
import { until } from '../helpers/wait.js';
import { initRepo, PASSWORD, problemsAgainst, tempDir, writeSnapshot, type FileSet } from './repo-fixture.js';

const CLI = join(import.meta.dirname, '../../dist/cli.cjs');
const cliReady = existsSync(CLI) && spawnSync(process.execPath, [CLI, 'prune', '--help']).status === 0;

const bytes = (seed: string, n: number): Buffer => {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
};

async function buildRepo(dir: string, cacheDir: string): Promise<Map<SnapshotId, FileSet>> {
  const repo = await initRepo(new LocalBackend(dir), cacheDir);
  const model = new Map<SnapshotId, FileSet>();
  const ids: SnapshotId[] = [];
  for (let v = 0; v < 6; v++) {
    const files = new Map<string, Uint8Array>();
    for (let f = 0; f < 40; f++) files.set(`d${f % 4}/f${f}`, bytes(`${f}:${(f + v) % 2 === 0 ? v : 0}`, 300 + f * 60));
    files.set('large', Buffer.concat([bytes('large', 6000), bytes(`large${v}`, 3000)]));
    const id = await writeSnapshot(repo, files, { time: new Date(Date.UTC(2024, 0, v + 1)).toISOString() });
    ids.push(id);
    model.set(id, files);
  }
  for (const id of ids.filter((_, i) => i % 2 === 0)) model.delete(id);
  await forget(repo, { ids: ids.filter((_, i) => i % 2 === 0) });
  await repo.close();
  return model;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof spawn> {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env, ROZEN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const PRUNE = ['--max-unused', '0%', '--grace', '0h'];

/**
 * A prune of `dir`, killed once it has made `changes` changes to the repository (files added or removed, its
 * lock the first) as far as polling sees; with Infinity, let finish. Also says how many changes were seen.
 */
async function pruneKilledAfter(dir: string, env: NodeJS.ProcessEnv, changes: number): Promise<{ code: number | null; seen: number }> {
  const repo = new RepoChanges(dir);
  const child = runCli(['prune', dir, ...PRUNE], env);
  const exited = exitOf(child);
  let done = false;
  void exited.then(() => (done = true));
  await until(() => done || repo.poll().size >= changes, `the prune has exited or made ${changes} changes to the repository`, 120_000, 1);
  child.kill('SIGKILL');
  const { code } = await exited;
  return { code, seen: repo.poll().size };
}

async function verify(dir: string, cacheDir: string, model: Map<SnapshotId, FileSet>): Promise<string[]> {
  const repo = await Repository.open(new LocalBackend(dir), PASSWORD, { cacheDir });
  try {
    await removeLocks(repo, false);
    return await problemsAgainst(repo, model);
  } finally {
    await repo.close();
  }
}

t.test('prune killed at points through its writes', { skip: cliReady ? false : 'dist/cli.cjs is not built (npx tsc -p .)' }, async (t) => {
  const tmp = tempDir();
  t.teardown(() => tmp.remove());
  const base = join(tmp.path, 'base');
  const cacheDir = join(tmp.path, 'cache');
  const model = await buildRepo(base, cacheDir);
  const env = { ROZEN_CACHE_DIR: join(tmp.path, 'cli-cache') };
  const whole = join(tmp.path, 'whole');
  cpSync(base, whole, { recursive: true });
  const { code: wholeCode, seen: total } = await pruneKilledAfter(whole, env, Infinity);
  t.equal(wholeCode, 0, `a prune let finish makes ${total} changes`);
  const points = Array.from({ length: 10 }, (_, i) => 1 + Math.floor((i * (total - 1)) / 10));
  let completed = 0;
  for (const [i, changes] of points.entries()) {
    const dir = join(tmp.path, `run${i}`);
    cpSync(base, dir, { recursive: true });
    const { code } = await pruneKilledAfter(dir, env, changes);
    if (code === 0) completed++;
    t.same(
      await verify(dir, cacheDir, model),
      [],
      `killed after ${changes} of ${total} changes (${code === null ? 'killed' : `exited ${code}`})`,
    );
    const again = await exitOf(runCli(['prune', dir, ...PRUNE], env));
    t.equal(again.code, 0, `a later prune completes: ${again.stderr}`);
    if (i === points.length - 1) {
      const check = await exitOf(runCli(['check', dir, '--read-data'], env));
      t.equal(check.code, 0, `rozen check passes: ${check.stderr}`);
    }
  }
  t.ok(completed < points.length / 2, `${completed} of ${points.length} prunes finished before the kill`);
});

t.test(
  'a prune while another holds the exclusive lock fails at once with exit 11',
  { skip: cliReady ? false : 'dist/cli.cjs is not built' },
  async (t) => {
    const tmp = tempDir();
    t.teardown(() => tmp.remove());
    const dir = join(tmp.path, 'repo');
    const cacheDir = join(tmp.path, 'cache');
    await buildRepo(dir, cacheDir);
    const repo = await Repository.open(new LocalBackend(dir), PASSWORD, { cacheDir });
    const lock = await acquireLock(repo, true);
    const r = await exitOf(runCli(['prune', dir], { ROZEN_CACHE_DIR: join(tmp.path, 'cli-cache') }));
    t.equal(r.code, 11);
    t.match(r.stderr, new RegExp(`locked: exclusive lock .* pid ${process.pid}`));
    await lock.release();
    await repo.close();
  },
);
