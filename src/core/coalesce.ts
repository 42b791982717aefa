/**
 * Calls made in the same turn of the event loop, sent as one batch: each hop to the addon or to LevelDB costs a
 * thread hand-off whatever it carries, so a thousand small calls cost far more than ten batches of a hundred.
 */
export function coalesce<I, O>(send: (items: I[]) => Promise<O[]>, maxBatch: number): (item: I) => Promise<O> {
  let queued: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  const flush = (): void => {
    while (queued.length > 0) {
      const batch = queued.slice(0, maxBatch);
      queued = queued.slice(batch.length);
      send(batch.map((q) => q.item)).then(
        (out) => batch.forEach((q, i) => q.resolve(out[i] as O)),
        (err: unknown) => batch.forEach((q) => q.reject(err)),
      );
    }
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ item, resolve, reject });
    });
}
