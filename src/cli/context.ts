/** Opening the repository a command names, with the password from the usual places. */
import type { Command } from 'commander';
import type { Backend } from '../backend/backend.js';
import { openBackend } from '../backend/open.js';
import { Repository, requireRepo } from '../repo/repository.js';
import { startHeapTrimmer } from './heap-trimmer.js';
import { readPassword, type PasswordSource } from './password.js';

export interface GlobalOptions {
  readonly passwordFile?: string;
  readonly passwordCommand?: string;
  readonly cacheDir?: string;
  readonly debug?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Where the global options say the repository's password comes from. */
export function passwordSource(cmd: Command): PasswordSource {
  const g = globals(cmd);
  return { passwordFile: g.passwordFile, passwordCommand: g.passwordCommand };
}

export async function openRepo(url: string, cmd: Command, wrap?: (b: Backend) => Backend): Promise<Repository> {
  return openRepoWith(url, cmd, () => readPassword(passwordSource(cmd)), wrap);
}

/** Opens the repository at `url` with the password `password` gives (asked only once the repository is found). */
export async function openRepoWith(
  url: string,
  cmd: Command,
  password: () => Promise<string>,
  wrap?: (b: Backend) => Backend,
): Promise<Repository> {
  const g = globals(cmd);
  const opened = await openBackend(url);
  const backend = wrap ? wrap(opened) : opened;
  try {
    await requireRepo(backend);
    return await Repository.open(backend, await password(), g.cacheDir ? { cacheDir: g.cacheDir } : {});
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/** Run `fn` with an opened repository, closing it afterwards whatever happens; the heap is trimmed meanwhile. */
export async function withRepo<T>(url: string, cmd: Command, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const stopTrimming = startHeapTrimmer();
  try {
    const repo = await openRepo(url, cmd);
    try {
      return await fn(repo);
    } finally {
      await repo.close();
    }
  } finally {
    stopTrimming();
  }
}
