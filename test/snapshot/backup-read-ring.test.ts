import t from 'tap';
import fc from 'fast-check';
import { ReadRing, type Filler } from '../../src/snapshot/backup/read-ring.js';

/**
 * ReadRing against a model: files of any size are read through the same ring of small buffers and cut
 * into chunks at arbitrary points, each chunk a job viewing its pieces where they lie in the buffers
 * (pinned as saveLarge pins them). Jobs and reads finish in an order fast-check's scheduler picks. No
 * buffer may be refilled while a job with a piece in it is pending, and every job must see the file's
 * bytes at its offset when it finishes.
 */

interface Job {
  readonly offset: number;
  readonly pieces: readonly Uint8Array[];
  done: boolean;
}

interface Run {
  readonly s: fc.Scheduler;
  readonly jobs: Job[];
  readonly faults: string[];
}

/** A file's bytes, each fill finishing when the scheduler says; a fill of a buffer a pending job views is a fault. */
class ScheduledFile implements Filler {
  #at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly run: Run,
  ) {}

  async fill(buf: Buffer): Promise<number> {
    const pinned = this.run.jobs.filter((j) => !j.done && j.pieces.some((p) => p.buffer === buf.buffer));
    if (pinned.length > 0) this.run.faults.push(`refill of a buffer ${pinned.length} pending job(s) view`);
    await this.run.s.schedule(Promise.resolve(), 'fill');
    const n = Math.min(buf.length, this.bytes.length - this.#at);
    buf.set(this.bytes.subarray(this.#at, this.#at + n));
    this.#at += n;
    return n;
  }
}

interface FileCase {
  readonly size: number;
  readonly seed: number;
  /** Buffers to read before stopping, as an interrupted saveLarge does; undefined: read to the end. */
  readonly stopAfter: number | undefined;
}

function bytesOf(file: FileCase): Uint8Array {
  return Uint8Array.from({ length: file.size }, (_, i) => (i * 31 + file.seed * 7 + (i >> 3)) & 0xff);
}

/** A job for the chunk of `pieces` at `offset`: when the scheduler lets it finish, it checks the bytes it sees. */
function startJob(run: Run, file: Uint8Array, offset: number, pieces: Uint8Array[]): { job: Job; done: Promise<void> } {
  const job: Job = { offset, pieces, done: false };
  run.jobs.push(job);
  const done = run.s.schedule(Promise.resolve(), 'job').then(() => {
    const seen = Buffer.concat(pieces);
    if (!seen.equals(file.subarray(offset, offset + seen.length))) run.faults.push(`job at ${offset} saw other bytes`);
    job.done = true;
  });
  return { job, done };
}

/** Reads one file through the ring like saveLarge: cuts chunks of the given sizes (cycled), keeps `inFlight` jobs pending. */
async function cutFile(run: Run, ring: ReadRing, file: FileCase, cuts: readonly number[], inFlight: number): Promise<number> {
  const bytes = bytesOf(file);
  const queue: Promise<void>[] = [];
  let pieces: Uint8Array[] = [];
  let length = 0;
  let offset = 0;
  let chunk = 0;
  let buffers = 0;
  for (let buf = await ring.next(); buf !== undefined; buf = await ring.next()) {
    if (file.stopAfter !== undefined && buffers++ === file.stopAfter) break;
    for (let at = 0; at < buf.length;) {
      const size = cuts[chunk % cuts.length] ?? 1;
      const take = Math.min(size - length, buf.length - at);
      pieces.push(buf.subarray(at, at + take));
      length += take;
      at += take;
      if (length < size) continue;
      const { done } = startJob(run, bytes, offset, pieces);
      ring.pin(pieces.length, done);
      queue.push(done);
      [pieces, length, offset, chunk] = [[], 0, offset + length, chunk + 1];
    }
    while (queue.length > inFlight) await queue.shift();
  }
  // The last chunk is not pinned: nothing is read into the ring after the end.
  if (pieces.length > 0 && file.stopAfter === undefined) queue.push(startJob(run, bytes, offset, pieces).done);
  await Promise.all(queue);
  await ring.settled();
  return file.stopAfter === undefined ? offset + length : -1;
}

const fileCase = fc.record({
  size: fc.integer({ min: 0, max: 200 }),
  seed: fc.integer({ min: 0, max: 255 }),
  stopAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
});

t.test('no buffer is refilled under a pending job, and every job sees the file bytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 8 }),
      fc.array(fileCase, { minLength: 1, maxLength: 3 }),
      async (s, readSize, max, rawCuts, inFlight, files) => {
        const run: Run = { s, jobs: [], faults: [] };
        const cuts = rawCuts.map((c) => Math.min(c, max));
        // As saveLarge sizes it: one buffer more than a chunk of at most `max` bytes can span.
        let buffers: Buffer[] = Array.from({ length: Math.ceil(max / readSize) + 2 }, () => Buffer.allocUnsafeSlow(readSize));
        for (const file of files) {
          const ring = new ReadRing(buffers, new ScheduledFile(bytesOf(file), run));
          const read = await s.waitFor(cutFile(run, ring, file, cuts, inFlight));
          if (file.stopAfter === undefined && read !== file.size) run.faults.push(`read ${read} of ${file.size} bytes`);
          buffers = ring.buffers;
        }
        if (run.faults.length > 0) throw new Error(run.faults.join('; '));
        return run.jobs.every((j) => j.done);
      },
    ),
    { numRuns: 300 },
  );
});
