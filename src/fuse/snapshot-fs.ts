/**
 * The read-only filesystem of the mount, by kernel node id: answers from memory where it can, loads
 * trees and blobs where it must, EIO (logged, one line) when the source fails.
 */
import { oneLine } from '../core/one-line.js';
import type { BlobCache } from './blob-cache.js';
import type { EntryResolver, Resolved } from './entry-resolver.js';
import { Errno } from './errno.js';
import type { DirListing, FileChunks } from './dir-listing.js';
import type { ChunkReader, ReadState } from './chunk-reader.js';
import { newReadState } from './chunk-reader.js';
import type { FsEntry, TreeEntry } from './fs-entry.js';
import { HeldEntries } from './held-entries.js';
import { ListingAhead, type ListingPart } from './listing-ahead.js';
import type { KernelFs, MaybeAsync, Result } from './kernel/session.js';
import { DirentWriter, type Attr, type EntryReply } from './kernel/wire.js';
import { entryAttr, entryMode } from './node-attrs.js';
import type { SnapshotCatalog } from './snapshot-catalog.js';
import { shortId, type BlobId } from '../core/ids.js';

export interface SnapshotFsDeps {
  readonly resolver: EntryResolver;
  readonly catalog: SnapshotCatalog;
  readonly reader: ChunkReader;
  /** The reader's cache: blobs decoded there are pushed to the page cache for the files the kernel holds. */
  readonly blobs: BlobCache;
  readonly log: (line: string) => void;
  /** Serve extended attributes; without, the kernel is told once that there are none (see KernelFs.xattrs). */
  readonly xattrs: boolean;
  /** Where the next parts of snapshot directories' listings are encoded before they are asked for; false for none. */
  readonly listAhead?: ListingAhead | false;
}

/** Snapshots never change: the kernel may keep what it learns of them (names, attributes, pages). */
const TREE_SECONDS = 3600;
/** The top levels change when snapshots come and go. */
const VIRTUAL_SECONDS = 1;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
const DIR_MODE = 0o040000;
/** Files whose chunks and read state are kept (a sequential reader's state must outlive its next read). */
const RECENT_FILES = 256;

/** Where file bytes can be pushed into the kernel's page cache before they are read (FuseSession.store). */
export interface PageCache {
  store(ino: number, offset: number, data: Uint8Array): void;
}

export class SnapshotFs implements KernelFs {
  readonly xattrs: boolean;
  private readonly held: HeldEntries;
  /** Listings of top-level directories, fixed at opendir so a listing read in parts stays consistent. */
  private readonly virtualListings = new Map<number, readonly [Buffer, FsEntry][]>();
  private nextFh = 1;
  /**
   * Files read lately, by node id, least recently first: their chunks (rebuilt from the listing once,
   * not per read) and sequential-read detection (shared by concurrent readers: it is only a hint).
   */
  private readonly recentFiles = new Map<number, { readonly chunks: FileChunks; readonly state: ReadState }>();
  private pageCache: PageCache | undefined;
  private readonly ahead: ListingAhead | undefined;
  /** The reply size of the last part of a snapshot directory's listing asked for (0: none yet). */
  private lastSize = 0;

  constructor(private readonly deps: SnapshotFsDeps) {
    this.xattrs = deps.xattrs;
    this.held = new HeldEntries(deps.resolver.trees, deps.resolver.root);
    this.ahead = deps.listAhead === false ? undefined : (deps.listAhead ?? new ListingAhead());
  }

  /**
   * From now on, file bytes decoded ahead of their reads go to `cache`: each file the kernel holds
   * that is stored in one blob, as soon as both that blob is decoded and the file is held, and
   * chunks of large files read ahead. A copy (rsync, cp -r) then reads most files without a request.
   */
  pushTo(cache: PageCache): void {
    this.pageCache = cache;
    this.deps.blobs.onDecoded = (id, data) =>
      this.held.withWholeBlob(id, (ino) => {
        const e = this.held.cachedEntry(ino);
        if (e !== undefined && e.listing.wholeBlob(e.index) === id) this.push(e, data);
      });
  }

  /** How many entries the kernel holds (for tests). */
  get heldCount(): number {
    return this.held.count;
  }

  /** Bytes of the records of held nodes (for tests). */
  get heldRecordBytes(): number {
    return this.held.recordBytes;
  }

  lookup(parent: number, name: Buffer): MaybeAsync<EntryReply> {
    return this.withEntry('lookup in', parent, (dir) =>
      this.guard('lookup in', dir, this.deps.resolver.child(dir, name), (child: Resolved) => {
        if (typeof child === 'number') return child;
        this.hold(child);
        return this.entryReply(dir, child);
      }),
    );
  }

  forget(ino: number, count: number): void {
    this.held.forget(ino, count);
  }

  getattr(ino: number): MaybeAsync<{ attr: Attr; seconds: number }> {
    return this.withEntry('attributes of', ino, (e) => ({
      attr: entryAttr(e, this.topNs()),
      seconds: e.kind === 'node' ? TREE_SECONDS : VIRTUAL_SECONDS,
    }));
  }

  readlink(ino: number): MaybeAsync<Uint8Array> {
    return this.withEntry('link target of', ino, (e) => {
      if (e.kind === 'vlink') return Buffer.from(e.target);
      if (e.kind === 'node' && e.listing.type(e.index) === 'symlink') return e.listing.linkTarget(e.index);
      return Errno.EINVAL;
    });
  }

  opendir(ino: number): MaybeAsync<{ fh: number; cache: boolean }> {
    return this.withEntry('listing of', ino, (e) => {
      if (e.kind === 'vlink' || (e.kind === 'node' && !e.listing.isDir(e.index))) return Errno.ENOTDIR;
      if (e.kind === 'vdir') {
        return this.guard('listing of', e, this.deps.resolver.listVirtual(e), (listing) => {
          const fh = this.nextFh++;
          this.virtualListings.set(fh, listing);
          return { fh, cache: false };
        });
      }
      if (e.listedIn !== undefined) this.listSiblingsAhead(e);
      return { fh: 0, cache: true };
    });
  }

  releasedir(fh: number): void {
    this.virtualListings.delete(fh);
  }

  readdir(ino: number, fh: number, offset: number, out: DirentWriter): MaybeAsync<DirentWriter> {
    return this.withEntry('listing of', ino, (e) => {
      if (e.kind === 'vdir') {
        const listing = this.virtualListings.get(fh) ?? [];
        const childAt = (i: number): readonly [Buffer, FsEntry] => listing[i] as [Buffer, FsEntry];
        return this.holdOnSend(out, childAt, offset, this.fill(e, listing.length, childAt, offset, out));
      }
      if (e.kind !== 'node') return Errno.ENOTDIR;
      return this.guard('listing of', e, this.deps.resolver.listing(e), (listing: DirListing | number) =>
        typeof listing === 'number' ? listing : this.listPart(e, listing, offset, out),
      );
    });
  }

  read(ino: number, offset: number, size: number): MaybeAsync<readonly Uint8Array[]> {
    const what = `read at ${offset} of`;
    return this.withEntry(what, ino, (e) => {
      if (e.kind !== 'node' || e.listing.isDir(e.index)) return Errno.EISDIR;
      const { chunks, state } = this.recentFile(e);
      const { reader } = this.deps;
      const ahead = (at: number, data: Uint8Array): void => {
        if (this.held.has(e.ino)) this.pageCache?.store(e.ino, at, data);
      };
      let result: MaybeAsync<readonly Uint8Array[]>;
      try {
        result = this.guard(what, e, reader.read(chunks, state, size, offset, ahead), (parts) => parts);
      } catch (err) {
        return this.failed(what, e, err);
      }
      // A file read from its start: the files after it in its directory are likely next (rsync, cp -r).
      // Fetched after the file itself, whose run brings many of them.
      if (offset === 0 && e.listedIn !== undefined) reader.prefetchSiblings(e.listing, e.index);
      return result;
    });
  }

  getxattr(ino: number, name: string): MaybeAsync<Uint8Array> {
    return this.withEntry('attributes of', ino, (e) => {
      const found = e.kind === 'node' ? e.listing.xattrs(e.index)?.find(([n]) => n === name) : undefined;
      return found ? found[1] : Errno.ENODATA;
    });
  }

  listxattr(ino: number): MaybeAsync<Uint8Array> {
    return this.withEntry('attributes of', ino, (e) => {
      const names = e.kind === 'node' ? (e.listing.xattrs(e.index) ?? []).map(([n]) => `${n}\0`) : [];
      return Buffer.from(names.join(''));
    });
  }

  /** A held file's whole content, once while it is held, into the kernel's page cache. */
  private push(e: TreeEntry, data: Uint8Array): void {
    if (this.pageCache === undefined || data.byteLength !== e.listing.size(e.index) || !this.held.firstPush(e.ino)) return;
    this.pageCache.store(e.ino, 0, data);
  }

  /** The chunks and read state of a file, kept for the files read last. */
  private recentFile(e: TreeEntry): { readonly chunks: FileChunks; readonly state: ReadState } {
    let file = this.recentFiles.get(e.ino);
    if (file === undefined) file = { chunks: e.listing.chunks(e.index), state: newReadState() };
    else this.recentFiles.delete(e.ino);
    this.recentFiles.set(e.ino, file);
    if (this.recentFiles.size > RECENT_FILES) this.recentFiles.delete(this.recentFiles.keys().next().value as number);
    return file;
  }

  /** `then(entry)` for an entry the kernel holds, at once or once its directory is listed again; ENOENT for others. */
  private withEntry<R>(what: string, ino: number, then: (e: FsEntry) => MaybeAsync<R>): MaybeAsync<R> {
    let e: FsEntry | undefined | Promise<FsEntry | undefined>;
    try {
      e = this.held.entry(ino);
    } catch (err) {
      return this.failedNode(what, ino, err);
    }
    if (e === undefined) return Errno.ENOENT;
    if (!(e instanceof Promise)) return then(e);
    return e.then(
      (found) => (found === undefined ? Errno.ENOENT : then(found)),
      (err: unknown) => this.failedNode(what, ino, err),
    );
  }

  /** One more kernel reference; a file newly held whose blob is already decoded is pushed at once. */
  private hold(e: FsEntry): void {
    if (!this.held.hold(e) || this.pageCache === undefined || e.kind !== 'node') return;
    const blob = e.listing.wholeBlob(e.index);
    const data = blob === undefined ? undefined : this.deps.blobs.cachedData(blob);
    if (data !== undefined) this.push(e, data);
  }

  private entryReply(dir: FsEntry, child: FsEntry): EntryReply {
    return {
      attr: entryAttr(child, this.topNs()),
      entrySeconds: dir.kind === 'node' ? TREE_SECONDS : VIRTUAL_SECONDS,
      attrSeconds: child.kind === 'node' ? TREE_SECONDS : VIRTUAL_SECONDS,
    };
  }

  /**
   * A part of a snapshot directory's listing from `offset` on: the one encoded ahead for this request, or
   * encoded now. The next part is encoded once this one is sent, before the next request is read.
   */
  private listPart(dir: TreeEntry, listing: DirListing, offset: number, out: DirentWriter): DirentWriter {
    const tree = dir.listing.subtree(dir.index) as BlobId;
    const childAt = this.childrenOf(dir, listing, tree);
    const part = this.ahead?.take(dir.ino, tree, offset, out.buf.length, out.plus);
    const end = part?.end ?? this.fill(dir, listing.length, childAt, offset, out);
    this.lastSize = out.buf.length;
    const ahead = this.ahead;
    if (ahead !== undefined && end > offset && end < listing.length + 2) {
      setImmediate(() => ahead.put(dir.ino, this.encodePart(dir, listing, end, out.buf.length, out.plus)));
    }
    return this.holdOnSend(part?.out ?? out, childAt, offset, end);
  }

  /** The part of `dir`'s listing from `offset` on, in a reply of `size` bytes, encoded without taking references. */
  private encodePart(dir: TreeEntry, listing: DirListing, offset: number, size: number, plus: boolean): ListingPart {
    const tree = dir.listing.subtree(dir.index) as BlobId;
    const out = new DirentWriter(size, plus);
    return { tree, offset, out, end: this.fill(dir, listing.length, this.childrenOf(dir, listing, tree), offset, out) };
  }

  /** Entry `i` of `listing`, the tree `tree` listed by `dir`: its name and entry. */
  private childrenOf(dir: TreeEntry, listing: DirListing, tree: BlobId): (i: number) => readonly [Buffer, FsEntry] {
    return (i) => [listing.name(i), this.deps.resolver.childAt(dir, listing, i, tree)];
  }

  /**
   * Loads the trees of the next directories beside `dir`, which a recursive lister (`ls -lR`, `find`, `du`)
   * opens next, and encodes the first part of each listing in the size the last part was asked for, with
   * attributes: in its AUTO mode the kernel asks for a listing's start with READDIRPLUS.
   */
  private listSiblingsAhead(dir: TreeEntry): void {
    const loads = this.deps.resolver.trees.prefetchAfter(dir.listing, dir.index);
    const { ahead, lastSize } = this;
    if (ahead === undefined || lastSize === 0) return;
    for (const [index, load] of loads) {
      load.then(
        (listing) => {
          const sibling = this.deps.resolver.sibling(dir, index);
          ahead.put(sibling.ino, this.encodePart(sibling, listing, 0, lastSize, true));
        },
        () => undefined,
      );
    }
  }

  /**
   * `out`, a reply listing entries `offset` to `end`, taking a reference to each child of a READDIRPLUS
   * reply once it is written (before any other request is handled): the kernel and the lister go on
   * with the reply meanwhile.
   */
  private holdOnSend(out: DirentWriter, childAt: (i: number) => readonly [Buffer, FsEntry], offset: number, end: number): DirentWriter {
    if (out.plus)
      out.onSent = () => {
        for (let pos = Math.max(offset, 2); pos < end; pos++) this.hold(childAt(pos - 2)[1]);
      };
    return out;
  }

  /** Entries from `offset` on: `.` and `..` first, then the children; each carries the next offset. The offset after the last. */
  private fill(dir: FsEntry, count: number, childAt: (i: number) => readonly [Buffer, FsEntry], offset: number, out: DirentWriter): number {
    let pos = offset;
    for (; pos < count + 2; pos++) {
      if (pos < 2) {
        if (!out.add(pos === 0 ? DOT : DOTDOT, dir.ino, DIR_MODE, pos + 1)) break;
        continue;
      }
      const [name, child] = childAt(pos - 2);
      if (!out.add(name, child.ino, entryMode(child), pos + 1, out.plus ? this.entryReply(dir, child) : undefined)) break;
    }
    return pos;
  }

  private topNs(): bigint {
    return BigInt(this.deps.catalog.cached?.newestMs ?? 0) * 1_000_000n;
  }

  /** `then(value)` now or later; a failure of the source becomes EIO and one log line naming the entry. */
  private guard<T, R>(what: string, e: FsEntry, value: T | Promise<T>, then: (v: T) => Result<R>): MaybeAsync<R> {
    if (!(value instanceof Promise)) return then(value);
    return value.then(then, (err: unknown) => this.failed(what, e, err));
  }

  private failed(what: string, e: FsEntry, err: unknown): number {
    return this.failedNode(what, describe(e), err);
  }

  /** EIO, and a log line naming the entry (a description, or the node number when its listing could not be read). */
  private failedNode(what: string, entry: string | number, err: unknown): number {
    const name = typeof entry === 'number' ? `node ${entry}` : entry;
    this.deps.log(`rozen mount: ${what} ${name} failed: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    return Errno.EIO;
  }
}

/** An entry for a log line: its name, and the snapshot it belongs to. */
function describe(e: FsEntry): string {
  if (e.kind === 'vdir') return `/${e.path.join('/')}`;
  if (e.kind === 'vlink') return `link to ${e.target}`;
  const name = e.listedIn !== undefined ? e.listing.name(e.index).toString('utf8') : '/';
  return `${oneLine(name)} (snapshot ${shortId(e.snapshot.id)})`;
}
