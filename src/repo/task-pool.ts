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
 * Posting a view of a larger buffer to a worker would copy the whole underlying buffer
 * (e.g. an 8 MiB read buffer for every chunk cut from it): such views are copied to an
 * exact buffer that is then transferred, so each byte crosses at most once.
 */
export function portable(data: Uint8Array): { data: Uint8Array; transferList: ArrayBuffer[] } {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return { data, transferList: [] };
  const copy = new Uint8Array(data);
  return { data: copy, transferList: [copy.buffer as ArrayBuffer] };
}

/**
 * Workers run `workerFile` (its default export handles one request, its workerData is
 * `workerData`) when that compiled file exists, i.e. when running from dist/; otherwise,
 * or with ROZEN_WORKERS=0, requests run inline through `inline()`.
 */
export function createTaskPool<Req, Res>(
  workerFile: URL, workerData: unknown, inline: () => (req: Req) => Res | Promise<Res>, threads = availableParallelism(),
  /** Tasks a worker holds at once; above 1 only helps tasks that await I/O. */
  perWorker = 1,
): TaskPool<Req, Res> {
  const filename = fileURLToPath(workerFile);
  const wanted = Number(process.env['ROZEN_WORKERS'] ?? threads);
  if (wanted <= 0 || !existsSync(filename)) {
    const run = inline();
    return { run: async (req) => run(req), close: async () => undefined };
  }
  const pool = new Piscina({
    filename, workerData, minThreads: wanted, maxThreads: wanted, idleTimeout: 60_000, concurrentTasksPerWorker: perWorker,
    // Workers handle large transient buffers: a small young generation returns them to the OS sooner.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  return {
    run: (req, transferList) => pool.run(req, transferList && transferList.length > 0 ? { transferList } : {}),
    close: () => pool.destroy(),
  };
}
