import type { Semaphore } from '../core/semaphore.js';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight. After a call fails no new one starts, and the
 * promise settles only when the calls already running have: then it rejects with the first failure, so a caller
 * cleaning up after an error never races a call still at work.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      try {
        await fn(items[next++] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

/**
 * Runs `fn` over `items` in order, each in the background while `spare` has a slot for it (taken for the call)
 * and inline otherwise, so nested calls share one bound and one item always makes progress. Failures as above.
 */
export async function forEachSpare<T>(items: readonly T[], spare: Semaphore, fn: (item: T) => Promise<void>): Promise<void> {
  const running: Promise<void>[] = [];
  let failure: { err: unknown } | undefined;
  const note = (err: unknown): void => void (failure ??= { err });
  for (const item of items) {
    if (failure) break;
    if (spare.tryAcquire())
      running.push(
        fn(item)
          .catch(note)
          .finally(() => spare.release(1)),
      );
    else await fn(item).catch(note);
  }
  await Promise.all(running);
  if (failure) throw failure.err;
}
