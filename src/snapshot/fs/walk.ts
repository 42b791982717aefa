/** Depth-first walk of backup roots, laid out under `/` as their absolute paths, in name-byte order. */
import { resolve, sep } from 'node:path';
import type { AccountDb } from './accounts.js';
import { type ChildScanOptions, type ChildScans, type Listed, type Listing, type Scan, asError, listChildren } from './child-scans.js';
import { joinPath } from '../path.js';
import { type ScannedNode, scanEntry } from './scan.js';
import type { TagSpec } from './tag-files.js';

/**
 * `enter`/`leave` bracket a directory's contents; `partial` marks an ancestor of a root, of
 * which only the children leading to roots are walked. Every walk begins with `enter` of `/`
 * (name empty) and ends with its `leave`, so the tree built at that `leave` is the snapshot root.
 */
export type WalkEvent =
  | { readonly kind: 'enter' | 'leave'; readonly path: Buffer; readonly node: ScannedNode; readonly partial: boolean }
  | { readonly kind: 'entry'; readonly path: Buffer; readonly node: ScannedNode };

export interface WalkOptions {
  /** Called for every entry below a root (never for roots and their ancestors); true skips it. */
  readonly exclude?: (path: Buffer, isDir: boolean) => boolean;
  /** Do not descend into directories on another device than their root (mount points stay, empty). */
  readonly oneFileSystem?: boolean;
  /** Skip files larger than this many bytes (the size is in the scan the walk makes anyway). */
  readonly excludeLargerThan?: number;
  /** Of a directory holding one of these tag files, walk only the tag files (checked when it is listed). */
  readonly tagFiles?: readonly TagSpec[];
  /**
   * Asked as the walk scans a directory's entries: those below the roots whose ctime (ns) is before it
   * come with XATTRS_UNREAD for their xattrs, which the consumer fills in (they are not read).
   */
  readonly xattrsBefore?: () => bigint | undefined;
  /** An entry that cannot be read or vanished; it is skipped and the walk goes on. */
  readonly onError: (path: Buffer, err: Error) => void;
  readonly accounts?: AccountDb;
}

/** The part of the filesystem selected by the roots, as a tree of path components. */
interface Selection {
  whole: boolean;
  readonly children: Map<string, Selection>;
}

/** A listed child, or one on the way to a root (with its part of the selection). */
interface Child extends Listed {
  readonly selection?: Selection;
}

interface Frame {
  readonly path: Buffer;
  readonly node: ScannedNode;
  readonly partial: boolean;
  readonly device: number;
  readonly children: readonly Child[];
  /** For listed children: their scans, started in batches when the directory was listed. */
  readonly scans?: ChildScans;
  next: number;
}

const SLASH = Buffer.from('/');

export function walk(roots: readonly string[], opts: WalkOptions): AsyncGenerator<WalkEvent> {
  return eventsOf(walkRuns(roots, opts), opts.onError);
}

/** The events of runs as walkRuns gives them, one by one, their errors given to `onError` in order. */
export async function* eventsOf(
  runs: AsyncIterable<readonly (WalkEvent | WalkError)[]>,
  onError: (path: Buffer, err: Error) => void,
): AsyncGenerator<WalkEvent> {
  for await (const run of runs) {
    for (const item of run) {
      if (item.kind === 'error') onError(item.path, item.error);
      else yield item;
    }
  }
}

/** An entry the walk could not read (it goes on without it). */
export interface WalkError {
  readonly kind: 'error';
  readonly path: Buffer;
  readonly error: Error;
}

/** Events per run walkRuns gives at most; a run also ends at every directory's enter and leave. */
const RUN_EVENTS = 256;

/**
 * walk() as runs of consecutive events, with its errors among them in order (not given to `onError`), so that its
 * consumer takes a directory's entries in one turn rather than one turn each (a backup walks tens of thousands).
 */
export async function* walkRuns(
  roots: readonly string[],
  walkOpts: Omit<WalkOptions, 'onError'>,
): AsyncGenerator<(WalkEvent | WalkError)[]> {
  let run: (WalkEvent | WalkError)[] = [];
  const opts: WalkOptions = { ...walkOpts, onError: (path, error) => run.push({ kind: 'error', path, error }) };
  const rootChild = { name: Buffer.alloc(0), isDir: true, selection: selectionOf(roots) };
  const top = await open(await scanSelected(SLASH, rootChild, opts), rootChild, -1, opts);
  if (top === undefined) {
    if (run.length > 0) yield run;
    return;
  }
  run.push({ kind: 'enter', path: top.path, node: top.node, partial: top.partial });
  yield run;
  run = [];
  const stack: Frame[] = [top];
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const child = frame.children[frame.next];
    if (child === undefined) {
      stack.pop();
      run.push({ kind: 'leave', path: frame.path, node: frame.node, partial: frame.partial });
      yield run;
      run = [];
      continue;
    }
    const ready = frame.scans?.ready(frame.next);
    if (ready !== undefined && ready.node?.type !== 'dir') {
      // Most entries: not a directory, scanned already. Taken in this turn, without a promise. Its listing (asked
      // for to read the next directories ahead) is none, or one that finds no directory; neither rejects.
      void frame.scans?.listing(frame.next);
      frame.next++;
      const entry = entryOf(ready, opts);
      if (entry !== undefined) run.push(entry);
      if (run.length >= RUN_EVENTS) {
        yield run;
        run = [];
      }
      continue;
    }
    const scan = ready ?? frame.scans?.get(frame.next) ?? scanSelected(joinPath(frame.path, child.name), child, opts);
    const listing = frame.scans?.listing(frame.next);
    frame.next++;
    const event = await visit(frame, child, await scan, listing, opts);
    if (event === undefined) continue;
    if ('children' in event) {
      stack.push(event);
      run.push({ kind: 'enter', path: event.path, node: event.node, partial: event.partial });
      yield run;
      run = [];
    } else {
      run.push(event);
      if (run.length >= RUN_EVENTS) {
        yield run;
        run = [];
      }
    }
  }
}

/** Metadata of the directories between `/` and `root` (exclusive of both), following symlinks. */
export async function parentChain(root: string, accounts?: AccountDb): Promise<ScannedNode[]> {
  const parts = components(root).slice(0, -1);
  const nodes: ScannedNode[] = [];
  let path: Buffer = Buffer.alloc(0);
  for (const part of parts) {
    path = joinPath(path, part);
    nodes.push(await scanEntry(path, part, { follow: true, ...(accounts && { accounts }) }));
  }
  return nodes;
}

/** A root or an ancestor of one (never excluded; ancestors are followed). Never rejects: errors are reported by `open`. */
async function scanSelected(path: Buffer, child: Child, opts: WalkOptions): Promise<Scan> {
  try {
    const follow = child.selection !== undefined && !child.selection.whole;
    return { path, node: await scanEntry(path, child.name, { follow, ...(opts.accounts && { accounts: opts.accounts }) }) };
  } catch (err) {
    return { path, error: asError(err) };
  }
}

async function visit(
  parent: Frame,
  child: Child,
  done: Scan,
  listing: Promise<Listing | undefined> | undefined,
  opts: WalkOptions,
): Promise<Frame | WalkEvent | undefined> {
  return done.node?.type === 'dir' ? open(done, child, parent.device, opts, listing) : entryOf(done, opts);
}

/**
 * For a directory, lists what will be walked inside it, unless `readAhead` already did, which also started scanning
 * the listed children (exclude is asked about each of them then); undefined after an error or when excluded.
 */
async function open(
  scan: Scan,
  child: Child,
  device: number,
  opts: WalkOptions,
  readAhead?: Promise<Listing | undefined>,
): Promise<Frame | undefined> {
  const { path, node, error } = scan;
  if (error !== undefined) opts.onError(path, error);
  if (node === undefined || tooLarge(node, opts)) return undefined;
  const sel = child.selection;
  const partial = sel !== undefined && !sel.whole;
  const rootDevice = sel?.whole === true ? node.device : device;
  // Frames are object literals, not spreads: this runs for every entry.
  if (node.type !== 'dir') return { path, node, partial, device: rootDevice, children: [], next: 0 };
  if (partial) return { path, node, partial, device: rootDevice, children: selectedChildren(sel), next: 0 };
  const scanOpts = childOptions(rootDevice, opts);
  if (!scanOpts.descends(node)) return { path, node, partial, device: rootDevice, children: [], next: 0 };
  const listing = (await readAhead) ?? (await listChildren(path, scanOpts));
  if ('error' in listing) {
    opts.onError(path, listing.error);
    return undefined;
  }
  return { path, node, partial, device: rootDevice, children: listing.children, scans: listing.scans, next: 0 };
}

/** The event of an entry that is not a directory; undefined after an error or when skipped. */
function entryOf(scan: Scan, opts: WalkOptions): WalkEvent | undefined {
  const { path, node, error } = scan;
  if (error !== undefined) opts.onError(path, error);
  return node === undefined || tooLarge(node, opts) ? undefined : { kind: 'entry', path, node };
}

function tooLarge(node: ScannedNode, opts: WalkOptions): boolean {
  return opts.excludeLargerThan !== undefined && node.type === 'file' && node.size > opts.excludeLargerThan;
}

/** How the listed entries below a root on `rootDevice` are scanned; descends is the one-file-system rule. */
function childOptions(rootDevice: number, opts: WalkOptions): ChildScanOptions {
  return {
    ...(opts.exclude && { exclude: opts.exclude }),
    ...(opts.accounts && { accounts: opts.accounts }),
    ...(opts.tagFiles && { tagFiles: opts.tagFiles }),
    ...(opts.xattrsBefore && { xattrsBefore: opts.xattrsBefore }),
    descends: (node) => node.type === 'dir' && !(opts.oneFileSystem === true && node.device !== rootDevice),
  };
}

function selectedChildren(sel: Selection): Child[] {
  return [...sel.children]
    .map(([key, selection]) => ({ name: Buffer.from(key, 'latin1'), isDir: true, selection }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
}

function selectionOf(roots: readonly string[]): Selection {
  const top: Selection = { whole: false, children: new Map() };
  for (const root of roots) {
    let sel = top;
    for (const part of components(root)) {
      const key = part.toString('latin1');
      const next = sel.children.get(key) ?? { whole: false, children: new Map() };
      sel.children.set(key, next);
      sel = next;
    }
    sel.whole = true;
  }
  return top;
}

function components(root: string): Buffer[] {
  return resolve(root)
    .split(sep)
    .filter((p) => p !== '')
    .map((p) => Buffer.from(p, 'utf8'));
}
