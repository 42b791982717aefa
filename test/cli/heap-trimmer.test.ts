/** Trimming glibc's free heap while a command runs (heap_trim.c, heap-trimmer.ts). */
import t from 'tap';
import { addon } from '../../src/core/addon.js';
import { startHeapTrimmer } from '../../src/cli/heap-trimmer.js';
import { until } from '../helpers/wait.js';

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

/** Resolves after `n` ticks of an interval of `ms`: timers of one interval fire in the order they were set. */
function ticks(n: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const timer = setInterval(() => {
      if (--left > 0) return;
      clearInterval(timer);
      resolve();
    }, ms);
  });
}

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('the trimmer runs on a timer until stopped, and never holds the process open', async (t) => {
  const calls: number[] = [];
  const trim = async (minFree: number): Promise<number> => (calls.push(minFree), 0);
  const before = timeouts();
  const stop = startHeapTrimmer(5, 1234, trim);
  t.equal(timeouts(), before, 'its timer keeps nothing alive');
  await until(() => calls.length >= 3, 'the trimmer has trimmed three times', 10_000, 1);
  t.ok(
    calls.every((minFree) => minFree === 1234),
    'with its threshold each time',
  );
  stop();
  stop();
  const stoppedAt = calls.length;
  // An interval set after the stop: had the trimmer's timer been left running, it would have fired before each of its ticks.
  await ticks(3, 5);
  t.equal(calls.length, stoppedAt, 'no call once stopped');
});
