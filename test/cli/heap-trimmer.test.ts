/** Trimming glibc's free heap while a command runs (heap_trim.c, heap-trimmer.ts). */
import t from 'tap';
import { addon } from '../../src/core/addon.js';
import { startHeapTrimmer } from '../../src/cli/heap-trimmer.js';

const trimHeap = (addon() as { trimHeap: (minFree: unknown) => Promise<number> }).trimHeap;

t.test('trimHeap trims past the threshold and reports the free bytes it found', async (t) => {
  // Free some heap: many blocks under glibc's mmap threshold, allocated and dropped.
  const keep = Array.from({ length: 2000 }, () => Buffer.allocUnsafeSlow(64 * 1024));
  keep.length = 0;
  t.equal(keep.length, 0);
  t.ok((await trimHeap(0)) >= 0, 'a threshold of 0 always trims');
  t.equal(await trimHeap(2 ** 60), 0, 'below the threshold nothing is trimmed');
  t.throws(() => trimHeap(-1), /trimHeap: minFree must be/);
  t.throws(() => trimHeap('8'), /trimHeap: minFree must be/);
});

t.test('the trimmer runs on a timer until stopped, and never holds the process open', async (t) => {
  const stop = startHeapTrimmer(5, 0);
  await new Promise((resolve) => setTimeout(resolve, 40));
  stop();
  stop();
  t.pass('started and stopped');
});
