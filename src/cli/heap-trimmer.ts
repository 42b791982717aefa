/**
 * Hands the memory glibc's malloc keeps free back to the kernel while a command works (the addon's trimHeap, on the
 * libuv pool). glibc returns only the top of an arena; the blocks a backup frees by the thousand in between stay
 * resident, a large share of its peak RSS, which trimming every EVERY_MS gives back.
 */
import { addon } from '../core/addon.js';
import { MiB } from '../core/sizes.js';

const EVERY_MS = 200;
/**
 * Free bytes below which nothing is trimmed. mallinfo2 counts free blocks whether or not their pages were already
 * handed back, so once a command has freed this much it trims on every tick; commands that never do (ls, snapshots)
 * never trim.
 */
const MIN_FREE = 8 * MiB;

/** Trims free heap above `minFree` bytes; resolves to the free bytes found (the addon's, unless a test passes its own). */
export type TrimHeap = (minFree: number) => Promise<number>;

/** Trims every `everyMs` until the returned function is called; never keeps the process alive. */
export function startHeapTrimmer(
  everyMs = EVERY_MS,
  minFree = MIN_FREE,
  trimHeap: TrimHeap = (addon() as { trimHeap: TrimHeap }).trimHeap,
): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void trimHeap(minFree)
      .catch(() => 0)
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
