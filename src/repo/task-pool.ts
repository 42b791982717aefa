/** A pool of worker threads (piscina) running one kind of task on all cores, or inline when no compiled worker file exists. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

export interface TaskPool<Req, Res> {
  run(req: Req, transferList?: ArrayBuffer[]): Promise<Res>;
  close(): Promise<void>;
}

/**
 * Workers run `workerFile` (its default export handles one request, its workerData is
 * `workerData`) when that compiled file exists, i.e. when running from dist/; otherwise,
 * or with ROZEN_WORKERS=0, requests run inline through `inline()`.
 */
export function createTaskPool<Req, Res>(
  workerFile: URL, workerData: unknown, inline: () => (req: Req) => Res | Promise<Res>, threads = availableParallelism(),
): TaskPool<Req, Res> {
  const filename = fileURLToPath(workerFile);
  const wanted = Number(process.env['ROZEN_WORKERS'] ?? threads);
  if (wanted <= 0 || !existsSync(filename)) {
    const run = inline();
    return { run: async (req) => run(req), close: async () => undefined };
  }
  const pool = new Piscina({
    filename, workerData, minThreads: wanted, maxThreads: wanted, idleTimeout: 60_000,
    // Workers handle large transient buffers: a small young generation returns them to the OS sooner.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  return {
    run: (req, transferList) => pool.run(req, transferList && transferList.length > 0 ? { transferList } : {}),
    close: () => pool.destroy(),
  };
}
