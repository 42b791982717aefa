/** `rozen mount`: serves the snapshots of a source as a lazy, read-only FUSE filesystem. */
import path from 'node:path';
import { RozenError } from '../core/errors.js';
import { BlobCache } from './blob-cache.js';
import { FileReader } from './file-reader.js';
import { INSTALL_HINT, loadFuse } from './fuse-loader.js';
import type { FuseBinding, FuseInstance, FuseOptions } from './fuse-native-types.js';
import { createFuseOps } from './fuse-ops.js';
import { InodeTable } from './inode-table.js';
import { isMounted, watchMount } from './mount-watch.js';
import { checkFuseDevice, prepareMountpoint } from './mountpoint.js';
import { PathResolver } from './path-resolver.js';
import { SnapshotCatalog } from './snapshot-catalog.js';
import type { SnapshotSource } from './snapshot-source.js';
import { TreeCache } from './tree-cache.js';
import { detachMount } from './unmount-command.js';

export interface MountOptions {
  /** Bytes of plaintext blobs kept in memory (default 256 MiB). */
  readonly cacheSize?: number;
  readonly allowOther?: boolean;
  /** One line per failure (default: stderr). */
  readonly log?: (line: string) => void;
  /** Minimum time between two listings of the snapshots (default 5000 ms). */
  readonly refreshMs?: number;
  /** Chunks fetched ahead of a sequential reader (default 4). */
  readonly readAhead?: number;
  /** Concurrent blob fetches (default 4). */
  readonly concurrency?: number;
  /** Directory entries kept in the tree cache (default 250,000). */
  readonly treeCacheEntries?: number;
  readonly now?: () => number;
  /** Serve extended attributes (default true); see OpsDeps.xattrs. */
  readonly xattrs?: boolean;
}

export interface MountHandle {
  readonly mountpoint: string;
  /** Detaches the mount; `closed` resolves after it. Safe to call more than once. */
  unmount(): Promise<void>;
  /** Resolves once the mount is gone, whoever unmounted it. */
  readonly closed: Promise<void>;
}

const MiB = 1024 * 1024;
/** Snapshots never change: let the kernel keep their attributes, entries and pages. */
const KERNEL_CACHE_SECONDS = 3600;
const WATCH_INTERVAL_MS = 500;

export async function mountSnapshots(source: SnapshotSource, mountpoint: string, opts: MountOptions = {}): Promise<MountHandle> {
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const { Fuse, binding } = loadFuse();
  await checkFuseDevice();
  const mnt = path.resolve(mountpoint);
  await prepareMountpoint(mnt, log);
  const catalog = new SnapshotCatalog(source, opts.refreshMs ?? 5000, log, opts.now);
  const resolver = new PathResolver(catalog, new TreeCache(source, opts.treeCacheEntries ?? 250_000), new InodeTable());
  const blobs = new BlobCache(source, opts.cacheSize ?? 256 * MiB, opts.concurrency ?? 4);
  const reader = new FileReader(blobs, opts.readAhead ?? 4);
  const fuse = new Fuse(mnt, createFuseOps({ resolver, catalog, reader, log, xattrs: opts.xattrs ?? true }), fuseOptions(opts));
  await mountFuse(fuse, mnt);
  return lifecycle(fuse, binding, mnt);
}

/**
 * `use_ino` and `ro` ride in fsname because fuse-native has no flags for them and joins all options
 * into one `-o` list. Timeouts are per mount in libfuse 2's high-level API; the top level stays
 * fresh anyway because the kernel caches neither directory listings, nor symlink targets, nor
 * (negative_timeout 0) missing names.
 */
function fuseOptions(opts: MountOptions): FuseOptions {
  return {
    fsname: 'rozen,use_ino,ro',
    allowOther: opts.allowOther ?? false,
    defaultPermissions: true,
    kernelCache: true,
    attrTimeout: KERNEL_CACHE_SECONDS,
    entryTimeout: KERNEL_CACHE_SECONDS,
    timeout: 120_000,
  };
}

function mountFuse(fuse: FuseInstance, mnt: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fuse.mount((err) => {
      if (!err) return resolve();
      const why = `mounting ${mnt} failed (${err.message}): not permitted? It needs root, or fusermount from the fuse package`;
      reject(new RozenError('FuseUnavailable', `${why}; install FUSE with: ${INSTALL_HINT}`, { cause: err }));
    });
  });
}

function lifecycle(fuse: FuseInstance, binding: FuseBinding, mnt: string): MountHandle {
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let released = false;
  /** Lets go of the native handle that keeps the event loop alive, so the process can exit. */
  const release = (): void => {
    if (released) return;
    released = true;
    stopWatching();
    if (fuse._thread) binding.fuse_native_unmount(mnt, fuse._thread);
    markClosed();
  };
  const stopWatching = watchMount(mnt, WATCH_INTERVAL_MS, release);
  let unmounting: Promise<void> | undefined;
  const unmount = (): Promise<void> =>
    (unmounting ??= (async () => {
      if (released) return;
      try {
        await detachMount(mnt);
      } catch (err) {
        if (await isMounted(mnt)) throw new RozenError('FuseUnavailable', `could not unmount ${mnt}: ${String(err)}`, { cause: err });
      }
      release();
    })());
  return { mountpoint: mnt, unmount, closed };
}
