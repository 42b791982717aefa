/** Depth-first walk of backup roots, laid out under `/` as their absolute paths, in name-byte order. */
import { readdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { AccountDb } from './accounts.js';
import { type ScannedNode, scanEntry } from './scan.js';

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
  /** An entry that cannot be read or vanished; it is skipped and the walk goes on. */
  readonly onError: (path: Buffer, err: Error) => void;
  readonly accounts?: AccountDb;
}

/** The part of the filesystem selected by the roots, as a tree of path components. */
interface Selection {
  whole: boolean;
  readonly children: Map<string, Selection>;
}

interface Child {
  readonly name: Buffer;
  readonly isDir: boolean;
  readonly selection?: Selection;
}

/** A child's scan: its node, the error to report, or nothing when excluded. */
type Scan = { readonly path: Buffer; readonly node?: ScannedNode; readonly error?: Error };

interface Frame {
  readonly path: Buffer;
  readonly node: ScannedNode;
  readonly partial: boolean;
  readonly device: number;
  readonly children: readonly Child[];
  /** Scans started ahead of the walk, index-aligned with `children`. */
  readonly scans: Promise<Scan>[];
  next: number;
}

/** lstat and xattr reads of this many upcoming siblings overlap, which hides the thread-pool round trips. */
const LOOKAHEAD = 32;

const SLASH = Buffer.from('/');

export async function* walk(roots: readonly string[], opts: WalkOptions): AsyncGenerator<WalkEvent> {
  const rootChild = { name: Buffer.alloc(0), isDir: true, selection: selectionOf(roots) };
  const top = await open(await scanChild(SLASH, rootChild, opts), rootChild, -1, opts);
  if (top === undefined) return;
  yield { kind: 'enter', path: top.path, node: top.node, partial: top.partial };
  const stack: Frame[] = [top];
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const child = frame.children[frame.next];
    if (child === undefined) {
      stack.pop();
      yield { kind: 'leave', path: frame.path, node: frame.node, partial: frame.partial };
      continue;
    }
    prefetch(frame, opts);
    const scan = frame.scans[frame.next];
    delete frame.scans[frame.next++];
    const event = await visit(frame, child, scan, opts);
    if (event === undefined) continue;
    if ('children' in event) {
      stack.push(event);
      yield { kind: 'enter', path: event.path, node: event.node, partial: event.partial };
    } else {
      yield event;
    }
  }
}

/** Metadata of the directories between `/` and `root` (exclusive of both), following symlinks. */
export async function parentChain(root: string, accounts?: AccountDb): Promise<ScannedNode[]> {
  const parts = components(root).slice(0, -1);
  const nodes: ScannedNode[] = [];
  let path = Buffer.alloc(0);
  for (const part of parts) {
    path = Buffer.concat([path, SLASH, part]);
    nodes.push(await scanEntry(path, part, { follow: true, ...(accounts && { accounts }) }));
  }
  return nodes;
}

function prefetch(frame: Frame, opts: WalkOptions): void {
  const end = Math.min(frame.children.length, frame.next + LOOKAHEAD);
  for (let i = Math.max(frame.next, frame.scans.length); i < end; i++) {
    const child = frame.children[i]!;
    frame.scans[i] = scanChild(joinPath(frame.path, child.name), child, opts);
  }
}

/** Never rejects: errors are reported in walk order by `open`. */
async function scanChild(path: Buffer, child: Child, opts: WalkOptions): Promise<Scan> {
  try {
    if (child.selection === undefined && opts.exclude?.(path, child.isDir) === true) return { path };
    const follow = child.selection !== undefined && !child.selection.whole;
    return { path, node: await scanEntry(path, child.name, { follow, ...(opts.accounts && { accounts: opts.accounts }) }) };
  } catch (err) {
    return { path, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

async function visit(parent: Frame, child: Child, scan: Promise<Scan> | undefined, opts: WalkOptions): Promise<Frame | WalkEvent | undefined> {
  const done = await (scan ?? scanChild(joinPath(parent.path, child.name), child, opts));
  const frame = await open(done, child, parent.device, opts);
  return frame?.node.type === 'dir' ? frame : frame && { kind: 'entry', path: done.path, node: frame.node };
}

/** For a directory, lists what will be walked inside it; undefined after an error or when excluded. */
async function open(scan: Scan, child: Child, device: number, opts: WalkOptions): Promise<Frame | undefined> {
  const { path, node, error } = scan;
  if (error !== undefined) opts.onError(path, error);
  if (node === undefined) return undefined;
  const sel = child.selection;
  const partial = sel !== undefined && !sel.whole;
  const rootDevice = sel?.whole === true ? node.device : device;
  const frame = { path, node, partial, device: rootDevice, scans: [], next: 0 };
  if (node.type !== 'dir') return { ...frame, children: [] };
  if (partial) return { ...frame, children: selectedChildren(sel) };
  if (opts.oneFileSystem === true && node.device !== rootDevice) return { ...frame, children: [] };
  try {
    return { ...frame, children: await listDir(path) };
  } catch (err) {
    opts.onError(path, err instanceof Error ? err : new Error(String(err)));
    return undefined;
  }
}

async function listDir(path: Buffer): Promise<Child[]> {
  const dirents = await readdir(path, { encoding: 'buffer', withFileTypes: true });
  return dirents
    .map((d) => ({ name: Buffer.from(d.name), isDir: d.isDirectory() }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
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

function joinPath(parent: Buffer, name: Buffer): Buffer {
  return parent.equals(SLASH) ? Buffer.concat([SLASH, name]) : Buffer.concat([parent, SLASH, name]);
}
