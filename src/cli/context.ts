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

/** Wraps a password reader: `read` under the caller's rules of when it may ask. */
export type PasswordTurn = (read: () => Promise<string>) => () => Promise<string>;

/**
 * Opens two repositories at once (copy), so that their key derivations overlap. The second's password is read only
 * once the first's was (two prompts never mix) and not at all when the first fails; a repository that opened is
 * closed when the other did not, and the first's error wins.
 */
export async function openPair(
  first: (turn: PasswordTurn) => Promise<Repository>,
  second: (turn: PasswordTurn) => Promise<Repository>,
): Promise<[Repository, Repository]> {
  let asked!: () => void;
  let failed!: (err: unknown) => void;
  const gate = new Promise<void>((resolve, reject) => ((asked = resolve), (failed = reject)));
  gate.catch(() => undefined);
  const a = first((read) => async () => {
    const password = await read();
    asked();
    return password;
  });
  a.catch(failed);
  const b = second((read) => async () => {
    await gate;
    return read();
  });
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  await Promise.all([ra, rb].map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  throw ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason;
}
