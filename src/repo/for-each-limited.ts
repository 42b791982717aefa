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
