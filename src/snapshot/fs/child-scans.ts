/**
 * A listed directory's children for the walk: sorted names, their scans started in native batches when the
 * directory is opened (excludes asked first), and the listings of the next few subdirectories read ahead.
 */
import type { AccountDb } from './accounts.js';
import { SCAN_BATCH, scanNames } from './dir-scan.js';
import { native } from './native.js';
import type { ScannedNode } from './scan.js';
import { type TagSpec, untagged } from './tag-files.js';
import { joinPath } from '../path.js';

/** A child's scan: its node, the error to report, or neither when excluded. */
export type Scan = { readonly path: Buffer; readonly node?: ScannedNode; readonly error?: Error };

export interface Listed {
  readonly name: Buffer;
  /** As readdir says (d_type): what exclude is told, and which children are read ahead. */
  readonly isDir: boolean;
}

/** A directory's children and their scans, or the error reading it. */
export type Listing = { readonly children: readonly Listed[]; readonly scans: ChildScans } | { readonly error: Error };

export interface ChildScanOptions {
  /** Called once per child, in order, when its directory is listed; true skips the child unscanned. */
  readonly exclude?: (path: Buffer, isDir: boolean) => boolean;
  readonly accounts?: AccountDb;
  /** Tag files whose presence leaves only themselves of their directory's entries (--exclude-if-present). */
  readonly tagFiles?: readonly TagSpec[];
  /** Whether the walk will list a scanned child; only those are read ahead. */
  readonly descends: (node: ScannedNode) => boolean;
  /** Asked as each batch starts: children whose ctime (ns) is before it get XATTRS_UNREAD, not their xattrs. */
  readonly xattrsBefore?: () => bigint | undefined;
}

/** Batches past the one being walked that are kept in flight, so the walk rarely waits on the thread pool. */
const AHEAD = 1;

/** Subdirectories, from the one being visited on, whose listings are read ahead. */
const DIRS_AHEAD = 4;

/** Never rejects: an unreadable directory gives its error, to be reported when the walk gets there. */
export async function listChildren(dir: Buffer, opts: ChildScanOptions): Promise<Listing> {
  let children: Listed[];
  try {
    // Not fs.readdir: listing a directory must not change its atime, which the snapshot records.
    // Sorted by the addon; the names are views of one buffer.
    const { names, ends, dirs } = await native().listDir(dir);
    children = new Array<Listed>(ends.length);
    for (let i = 0, at = 0; i < ends.length; at = ends[i++]!) children[i] = { name: names.subarray(at, ends[i]), isDir: dirs[i] === 1 };
  } catch (err) {
    return { error: asError(err) };
  }
  if (opts.tagFiles !== undefined && opts.tagFiles.length > 0) children = [...(await untagged(dir, children, opts.tagFiles))];
  return { children, scans: new ChildScans(dir, children, opts) };
}

export class ChildScans {
  private readonly paths: Buffer[];
  /** Per child: its position among the children to scan, or its finished scan (excluded, or exclude threw). */
  private readonly slots: (number | Scan)[] = [];
  /** The children to scan, by index, in walk order. */
  private readonly todo: number[] = [];
  private readonly batches: Promise<(ScannedNode | Error)[]>[] = [];
  /** The batches that have finished. */
  private readonly finished: (ScannedNode | Error)[][] = [];
  /** The children readdir calls directories, by index; the first `dirsStarted` of them are being read ahead. */
  private readonly dirs: number[] = [];
  private dirsStarted = 0;
  /** Position in `dirs` of the first directory not yet visited. */
  private dirsVisited = 0;
  private readonly listings: (Promise<Listing | undefined> | undefined)[] = [];

  constructor(
    private readonly dir: Buffer,
    private readonly children: readonly Listed[],
    private readonly opts: ChildScanOptions,
  ) {
    this.paths = children.map((c) => joinPath(dir, c.name));
    children.forEach((child, i) => {
      const done = this.excluded(this.paths[i]!, child.isDir);
      this.slots.push(done ?? this.todo.push(i) - 1);
      if (done === undefined && child.isDir) this.dirs.push(i);
    });
    for (let k = 0; k <= AHEAD; k++) this.start(k);
  }

  /** The scan of child `i`; never rejects. */
  async get(i: number): Promise<Scan> {
    const slot = this.slots[i]!;
    if (typeof slot !== 'number') return slot;
    const batch = this.started(slot);
    return this.scanOf(i, (await this.batches[batch]!)[slot - batch * SCAN_BATCH]!);
  }

  /** The scan of child `i` if it has finished (undefined: `get` it): the walk takes most entries without a turn of the event loop. */
  ready(i: number): Scan | undefined {
    const slot = this.slots[i] as number | Scan;
    if (typeof slot !== 'number') return slot;
    const batch = this.started(slot);
    const result = this.finished[batch]?.[slot - batch * SCAN_BATCH];
    return result === undefined ? undefined : this.scanOf(i, result);
  }

  /**
   * The listing of child `i` when it is a directory the walk descends into (undefined: list it when opened).
   * Call for each child in order: it also starts reading ahead the next few subdirectories.
   */
  listing(i: number): Promise<Listing | undefined> | undefined {
    while (this.dirsVisited < this.dirs.length && this.dirs[this.dirsVisited]! < i) this.dirsVisited++;
    for (const end = Math.min(this.dirs.length, this.dirsVisited + DIRS_AHEAD); this.dirsStarted < end; this.dirsStarted++) {
      const j = this.dirs[this.dirsStarted]!;
      this.listings[j] = this.get(j).then((s) =>
        s.node !== undefined && this.opts.descends(s.node) ? listChildren(s.path, this.opts) : undefined,
      );
    }
    const listing = this.listings[i];
    this.listings[i] = undefined;
    return listing;
  }

  /** The finished scan of an excluded child (or one whose exclude check threw); undefined to scan it. */
  private excluded(path: Buffer, isDir: boolean): Scan | undefined {
    try {
      return this.opts.exclude?.(path, isDir) === true ? { path } : undefined;
    } catch (err) {
      return { path, error: asError(err) };
    }
  }

  /** The batch of the child at `slot`, started with those read ahead of it. */
  private started(slot: number): number {
    const batch = Math.floor(slot / SCAN_BATCH);
    for (let k = batch; k <= batch + AHEAD; k++) this.start(k);
    return batch;
  }

  private scanOf(i: number, result: ScannedNode | Error): Scan {
    const path = this.paths[i]!;
    return result instanceof Error ? { path, error: result } : { path, node: result };
  }

  private start(batch: number): void {
    if (this.batches[batch] !== undefined || batch * SCAN_BATCH >= this.todo.length) return;
    const names = this.todo.slice(batch * SCAN_BATCH, (batch + 1) * SCAN_BATCH).map((i) => this.children[i]!.name);
    const scans = scanNames(this.dir, names, this.opts.accounts, this.opts.xattrsBefore?.()).catch((err: unknown) =>
      names.map(() => asError(err)),
    );
    this.batches[batch] = scans;
    void scans.then((results) => (this.finished[batch] = results));
  }
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
