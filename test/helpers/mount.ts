/** `rozen mount` in a child process for CLI tests: ready once snapshots/latest appears, unmounted at teardown. */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { run } from '../fuse/shell.js';
import { collect, startCli, type CliResult } from './cli.js';

export interface Mounted {
  readonly mnt: string;
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
}

async function waitFor(path: string, child: { exitCode: number | null }): Promise<void> {
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    if (existsSync(path)) return;
    await sleep(100);
  }
  throw new Error(`${path} did not appear`);
}

/** Mounts `repo` at `dir`/mnt; whatever happens, the child is stopped and the mount lazily unmounted at teardown. */
export async function startMount(
  t: Test,
  repo: string,
  dir: string,
  env: Record<string, string>,
  extra: readonly string[] = [],
): Promise<Mounted> {
  const mnt = join(dir, 'mnt');
  await mkdir(mnt, { recursive: true });
  const child = startCli(['mount', repo, mnt, ...extra], env);
  const done = collect(child);
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await done;
    await run('fusermount', ['-uz', mnt]);
  });
  await waitFor(join(mnt, 'snapshots', 'latest'), child);
  return { mnt, child, done };
}

/** Stops a mount as a user would (SIGTERM) and waits for the process. */
export async function stopMount(m: Mounted): Promise<CliResult> {
  m.child.kill('SIGTERM');
  return m.done;
}

/** Empties the kernel's page cache (root only), so reads reach the mount; false where it may not. */
export async function dropPageCache(): Promise<boolean> {
  await run('sync', []);
  return writeFile('/proc/sys/vm/drop_caches', '3').then(
    () => true,
    () => false,
  );
}
