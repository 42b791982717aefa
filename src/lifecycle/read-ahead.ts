/** Yields items with what an async fetch made of them, in order, the next ones fetched while one is used. */
export async function* readAhead<T, R>(items: readonly T[], fetch: (item: T) => Promise<R>, ahead = 1): AsyncGenerator<[T, R]> {
  const fetching = new Map<number, Promise<R>>();
  const start = (i: number): void => {
    const item = items[i];
    if (item === undefined || fetching.has(i)) return;
    const p = fetch(item);
    p.catch(() => undefined); // awaited in its turn; not an unhandled rejection meanwhile
    fetching.set(i, p);
  };
  for (const [i, item] of items.entries()) {
    for (let k = i; k <= i + ahead; k++) start(k);
    const result = await fetching.get(i)!;
    fetching.delete(i);
    yield [item, result];
  }
}
