/** An in-memory SnapshotSource for the mount tests, counting reads and failing chosen blobs on demand. */
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import type { SnapshotSource } from '../../src/fuse/snapshot-source.js';
import type { Node } from '../../src/snapshot/node.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { patternBytes } from '../helpers/bytes.js';

/** Deterministic pseudo-random bytes, so content checks need no stored copy. */
export const pseudoRandom = patternBytes;

/**
 * Resolves once nothing that calls on a memory source set off is left to run: it answers without I/O or
 * timers (delayMs 0), so that is when the promise jobs have run, before the next turn of the event loop.
 */
export const settled = (): Promise<unknown> => nextTurn();

let counter = 0;
const freshId = (label: string): string => createHash('sha256').update(`${label}:${counter++}:${Math.random()}`).digest('hex');

export class MemorySource implements SnapshotSource {
  readonly snapshots: Snapshot[] = [];
  readonly trees = new Map<BlobId, readonly Node[]>();
  readonly blobs = new Map<BlobId, Uint8Array | (() => Uint8Array)>();
  /** Every readBlob call, in order. */
  readonly blobReads: BlobId[] = [];
  treeLoads = 0;
  listings = 0;
  /** Blob or tree ids whose reads fail. */
  readonly failing = new Set<BlobId>();
  delayMs = 0;

  async listSnapshots(): Promise<Snapshot[]> {
    this.listings++;
    return [...this.snapshots];
  }

  async loadTree(id: BlobId): Promise<readonly Node[]> {
    this.treeLoads++;
    if (this.failing.has(id)) throw new Error(`injected failure loading tree ${id.slice(0, 8)}`);
    const tree = this.trees.get(id);
    if (!tree) throw new Error(`no tree ${id}`);
    return tree;
  }

  async readBlob(id: BlobId): Promise<Uint8Array> {
    this.blobReads.push(id);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing.has(id)) throw new Error(`injected failure reading blob ${id.slice(0, 8)}`);
    const blob = this.blobs.get(id);
    if (!blob) throw new Error(`no blob ${id}`);
    return typeof blob === 'function' ? blob() : blob;
  }

  addBlob(data: Uint8Array | (() => Uint8Array)): BlobId {
    const id = freshId('blob') as BlobId;
    this.blobs.set(id, data);
    return id;
  }

  addTree(nodes: readonly Node[]): BlobId {
    const id = freshId('tree') as BlobId;
    this.trees.set(
      id,
      [...nodes].sort((a, b) => Buffer.compare(a.name, b.name)),
    );
    return id;
  }

  addSnapshot(tree: BlobId, over: Partial<Omit<Snapshot, 'tree'>> = {}): Snapshot {
    const snapshot: Snapshot = {
      id: freshId('snap') as SnapshotId,
      time: '2024-05-01T10:00:00.000Z',
      hostname: 'host1',
      username: 'root',
      paths: ['/data'],
      tags: [],
      tree,
      ...over,
    };
    this.snapshots.push(snapshot);
    return snapshot;
  }
}

const T0 = 1_700_000_000_123_456_789n;

export function baseNode(name: string | Buffer, over: Partial<Node> = {}): Node {
  return {
    name: typeof name === 'string' ? Buffer.from(name) : name,
    type: 'file',
    mode: 0o644,
    uid: 1000,
    gid: 1000,
    mtimeNs: T0,
    atimeNs: T0 + 1_000_000_000n,
    ctimeNs: T0 + 2_000_000_000n,
    size: 0,
    allocated: 0,
    device: 2049,
    inode: counter++,
    links: 1,
    ...over,
  };
}

/** A file node whose content is `chunks`, each stored as one blob. */
export function fileNode(source: MemorySource, name: string | Buffer, chunks: readonly Uint8Array[], over: Partial<Node> = {}): Node {
  const size = chunks.reduce((n, c) => n + c.byteLength, 0);
  return baseNode(name, {
    size,
    allocated: Math.ceil(size / 4096) * 4096,
    content: chunks.map((c) => source.addBlob(c)),
    sizes: chunks.map((c) => c.byteLength),
    ...over,
  });
}

export function dirNode(source: MemorySource, name: string | Buffer, children: readonly Node[], over: Partial<Node> = {}): Node {
  return baseNode(name, { type: 'dir', mode: 0o755, links: 2, subtree: source.addTree(children), ...over });
}

/** Splits `data` into chunks of 1–2 MiB, as the chunker would for a large file. */
export function chunked(data: Uint8Array, seed = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  let x = seed;
  while (pos < data.length) {
    x = (x * 1103515245 + 12345) >>> 0;
    const len = 1024 * 1024 + (x % (1024 * 1024));
    out.push(data.subarray(pos, Math.min(data.length, pos + len)));
    pos += len;
  }
  return out;
}
