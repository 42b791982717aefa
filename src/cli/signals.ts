/** Ctrl-C and SIGTERM as an AbortSignal, so long commands stop cleanly (exit 130). */
import { RozenError } from '../core/errors.js';
import { acquireLock } from '../repo/lock.js';
import type { Repository } from '../repo/repository.js';

export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = (): void => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write('rozen: interrupted, finishing what was written so far (press Ctrl-C again to quit at once)\n');
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Long work under a repository lock, with Ctrl-C/SIGTERM as its AbortSignal: an interrupted run
 * ends as one Interrupted error (exit 130) saying what was kept; the progress display is stopped
 * and the lock released whatever happens.
 */
export async function underLock<T>(
  repo: Repository,
  opts: { readonly exclusive: boolean; readonly interrupted: string; readonly progress: { stop(): void } },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(repo, opts.exclusive);
  const interrupt = interruptSignal();
  try {
    return await work(interrupt.signal);
  } catch (err) {
    if (interrupt.signal.aborted) throw new RozenError('Interrupted', opts.interrupted);
    throw err;
  } finally {
    opts.progress.stop();
    interrupt.dispose();
    await lock.release();
  }
}
