/** `rozen mount`: serves the snapshots of a source as a lazy, read-only FUSE filesystem. */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RozenError } from '../core/errors.js';
import type { Snapshot } from '../core/snapshot.js';
import { BlobCache } from './blob-cache.js';
import { EntryResolver } from './entry-resolver.js';
import { ChunkReader } from './chunk-reader.js';
import { DEFAULT_HISTORY_BYTES, HistoryDirs } from './history-dirs.js';
import { InodeTable } from './inode-table.js';
import { Channel } from './kernel/channel.js';
import { FuseSession } from './kernel/session.js';
import { isMounted } from './mount-watch.js';
import { checkFuseDevice, INSTALL_HINT, prepareMountpoint } from './mountpoint.js';
import { SnapshotCatalog } from './snapshot-catalog.js';
import { SnapshotFs } from './snapshot-fs.js';
import type { SnapshotSource } from './snapshot-source.js';
import { TreeCache } from './tree-cache.js';
import { detachMount } from './unmount-command.js';
import { MiB } from '../core/sizes.js';

/**
 * Chunks of a large file read ahead of a sequential reader. 8 rather than 4: the pool decodes (and re-hashes)
 * more chunks at once while the kernel takes the earlier ones, so a sequential read is faster for no more GETs.
 */
const DEFAULT_READ_AHEAD = 8;

export interface MountOptions {
  /** Bytes of plaintext blobs kept in memory (default 256 MiB). */
  readonly cacheSize?: number;
  readonly allowOther?: boolean;
  /** One line per failure (default: stderr). */
  readonly log?: (line: string) => void;
  /** Minimum time between two listings of the snapshots (default 5000 ms). */
  readonly refreshMs?: number;
  /** Chunks fetched ahead of a sequential reader (default 8). */
  readonly readAhead?: number;
  /** Concurrent blob fetches (default 4). */
  readonly concurrency?: number;
  /** Bytes of directory listings kept in memory (default 32 MiB). */
  readonly treeCacheBytes?: number;
  /** Estimated bytes of /history paths built (positions per snapshot, listings) kept in memory (default 16 MiB). */
  readonly historyCacheBytes?: number;
  /** Serve only the snapshots this keeps (default: all). */
  readonly filter?: (s: Snapshot) => boolean;
  readonly now?: () => number;
  /** Serve extended attributes (default true); see KernelFs.xattrs. */
  readonly xattrs?: boolean;
}

export interface MountHandle {
  readonly mountpoint: string;
  /** Detaches the mount; `closed` resolves after it. Safe to call more than once. */
  unmount(): Promise<void>;
  /** Resolves once the mount is gone, whoever unmounted it. */
  readonly closed: Promise<void>;
}

/**
 * Listings kept: a directory of 1,000 small files takes about 150 KiB, so a walk keeps the directories
 * it is in and many it lists again. What the kernel holds is kept apart, as records.
 */
const DEFAULT_TREE_CACHE = 32 * MiB;
/** A lazy unmount of a mount still in use ends the connection only when the last user leaves: wait this long. */
const DETACH_WAIT_MS = 2000;

export async function mountSnapshots(source: SnapshotSource, mountpoint: string, opts: MountOptions = {}): Promise<MountHandle> {
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  await checkFuseDevice();
  const mnt = path.resolve(mountpoint);
  await prepareMountpoint(mnt, log);
  const catalog = new SnapshotCatalog(source, opts.refreshMs ?? 5000, log, opts.now, opts.filter);
  const trees = new TreeCache(source, opts.treeCacheBytes ?? DEFAULT_TREE_CACHE);
  const inodes = new InodeTable();
  const resolver = new EntryResolver(
    catalog,
    trees,
    inodes,
    new HistoryDirs(trees, inodes, opts.historyCacheBytes ?? DEFAULT_HISTORY_BYTES),
  );
  const blobs = new BlobCache(source, opts.cacheSize ?? 256 * MiB, opts.concurrency ?? 4);
  const reader = new ChunkReader(blobs, opts.readAhead ?? DEFAULT_READ_AHEAD);
  const fs = new SnapshotFs({ resolver, catalog, reader, blobs, log, xattrs: opts.xattrs ?? true });
  const channel = await openChannel(mnt, opts.allowOther ?? false, log);
  const session = new FuseSession(channel, fs, log);
  fs.pushTo(session);
  channel.serve((req) => session.handle(req));
  return lifecycle(channel, mnt);
}

async function openChannel(mnt: string, allowOther: boolean, log: (line: string) => void): Promise<Channel> {
  try {
    return await Channel.open(mnt, { allowOther }, log);
  } catch (err) {
    const detail = (err as { detail?: string }).detail || (err instanceof Error ? err.message : String(err));
    const why = `mounting ${mnt} failed (${detail}): it needs root, or fusermount from the fuse package`;
    throw new RozenError('FuseUnavailable', `${why}; install FUSE with: ${INSTALL_HINT}`, { cause: err });
  }
}

function lifecycle(channel: Channel, mnt: string): MountHandle {
  let gone = false;
  let markGone: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markGone = resolve)).then(() => void (gone = true));
  void channel.closed.then(() => markGone());
  let unmounting: Promise<void> | undefined;
  const unmount = (): Promise<void> =>
    (unmounting ??= (async () => {
      if (gone) return;
      try {
        await detachMount(mnt);
      } catch (err) {
        if (await isMounted(mnt)) throw new RozenError('FuseUnavailable', `could not unmount ${mnt}: ${String(err)}`, { cause: err });
      }
      await Promise.race([channel.closed, sleep(DETACH_WAIT_MS)]);
      markGone();
      await closed;
    })());
  return { mountpoint: mnt, unmount, closed };
}
