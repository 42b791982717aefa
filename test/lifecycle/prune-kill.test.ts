/** SIGKILL of a `rozen prune` process at assorted moments: afterwards check passes and every snapshot restores. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBackend } from '../../src/backend/local.js';
import type { SnapshotId } from '../../src/core/ids.js';
import { forget } from '../../src/lifecycle/forget.js';
import { acquireLock, removeLocks } from '../../src/repo/lock.js';
import { Repository } from '../../src/repo/repository.js';
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
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ROZEN_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Resolves once the prune process has written its lock (its work starts then), or has exited. */
async function lockTaken(dir: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !(existsSync(join(dir, 'locks')) && readdirSync(join(dir, 'locks')).length > 0)) await sleep(2);
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

t.test('prune killed at random moments', { skip: cliReady ? false : 'dist/cli.cjs is not built (npx tsc -p .)' }, async (t) => {
  const tmp = tempDir();
  t.teardown(() => tmp.remove());
  const base = join(tmp.path, 'base');
  const cacheDir = join(tmp.path, 'cache');
  const model = await buildRepo(base, cacheDir);
  const env = { ROZEN_CACHE_DIR: join(tmp.path, 'cli-cache') };
  const delays = [0, 10, 20, 35, 50, 70, 90, 115, 140, 400];
  let completed = 0;
  for (const [i, delay] of delays.entries()) {
    const dir = join(tmp.path, `run${i}`);
    cpSync(base, dir, { recursive: true });
    const child = runCli(['prune', dir, '--max-unused', '0%', '--grace', '0h'], env);
    const exited = exitOf(child);
    await lockTaken(dir, exited);
    await sleep(delay);
    child.kill('SIGKILL');
    const { code } = await exited;
    if (code === 0) completed++;
    t.same(await verify(dir, cacheDir, model), [], `killed ${delay} ms after taking its lock (${code === null ? 'killed' : `exited ${code}`})`);
    const again = await exitOf(runCli(['prune', dir, '--max-unused', '0%', '--grace', '0h'], env));
    t.equal(again.code, 0, `a later prune completes: ${again.stderr}`);
    if (i === delays.length - 1) {
      const check = await exitOf(runCli(['check', dir, '--read-data'], env));
      t.equal(check.code, 0, `rozen check passes: ${check.stderr}`);
    }
  }
  t.ok(completed < delays.length / 2, `${completed} of ${delays.length} prunes finished before the kill`);
});

t.test('a prune while another holds the exclusive lock fails at once with exit 11', { skip: cliReady ? false : 'dist/cli.cjs is not built' }, async (t) => {
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
});
