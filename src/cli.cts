#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 node --max-semi-space-size=8 --heap-growing-percent=50 --initial-old-space-size=48
/**
 * The `rozen` executable. A CommonJS launcher because libuv sizes its thread pool when first
 * used, and an ES module entry is itself read through that pool: the size must be set before.
 * Backups keep 16–32 file reads in flight (a cold disk reads small files much faster that way)
 * and walk directories with batched native scans, all on the pool.
 * The shebang caps glibc's malloc arenas at two (a lower peak RSS in a backup at the same speed)
 * and fixes malloc's mmap threshold at 1 MiB: glibc otherwise raises it as large blocks are freed,
 * and keeps freed blocks of sealed and read data in its arenas (a lower threshold saves more memory
 * but costs more time in page faults; the mount sets its own, larger, thresholds). V8's young
 * generation is capped at 2 × 8 MiB instead of 2 × 16: a restore builds its plan with objects that
 * survive, and the young generation grew to its cap and stayed there. The cap lowers the peak of a
 * restore, a backup and a prune at the same speed, for a slightly slower warm unchanged re-backup (a
 * smaller cap slows that much more).
 * The old generation may grow by half its live size before a full collection, not by V8's default of up to
 * four times: a backup or restore of many files promotes short-lived per-file objects, and the default let
 * that garbage, not live data, set the peak.
 * Its first limit is 48 MiB: V8 starts a full collection whenever the room left below the limit is no larger
 * than the young generation (2 × 8 MiB), and a live heap under 32 MiB grown by half never leaves more, so work
 * on large files (backup, copy), whose live heap is small, ran a full collection every few young ones.
 */
import { statSync } from 'node:fs';

process.env['UV_THREADPOOL_SIZE'] ??= '16';
void import(process.env['ROZEN_BUNDLE'] !== '0' && bundleIsFresh() ? './bundle/main.js' : './main.js');

/**
 * The bundle of the ES modules (scripts/bundle.mjs), when built since they were last compiled, or when it is all there
 * is (an installed package holds the bundle alone). ROZEN_BUNDLE=0 runs the modules themselves: the test suite does,
 * so that coverage of its CLI runs maps to src/ file by file.
 */
function bundleIsFresh(): boolean {
  const mtime = (path: string): number | undefined => statSync(`${__dirname}/${path}`, { throwIfNoEntry: false })?.mtimeMs;
  const bundle = mtime('bundle/main.js');
  return bundle !== undefined && bundle >= (mtime('main.js') ?? 0);
}
