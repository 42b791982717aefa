/**
 * The index as the repository's index files state it, read fresh (never from the local cache). Blob
 * records are held as compact bytes (BlobTable), not as an object per blob: a repository of millions
 * of blobs is checked and pruned in bounded memory.
 */
import type { Backend } from '../backend/backend.js';
import { BLOB_ENTRY, decodeBlobRecord, scanIndexBody, type EncodedPack } from '../cas/index-body.js';
import { INDEX_PREFIX, readIndexBody } from '../cas/index-file.js';
import type { Sealer } from '../cas/sealer-interface.js';
import { isHexId, type BlobId, type PackId } from '../core/ids.js';
import type { BlobLocation, BlobType, PackDescription, PackKind } from '../core/types.js';
import { BlobTable } from './blob-table.js';
import { readAhead } from './read-ahead.js';

/** A pack as the first index file listing it describes it: its blobs are the records [first, first + count) of the view's table. */
export class IndexedPack {
  constructor(
    readonly id: PackId,
    readonly kind: PackKind,
    readonly size: number,
    readonly first: number,
    readonly count: number,
    private readonly table: BlobTable,
  ) {}

  /** Its header and blob records as an index file holds them (a view of the table). */
  encoded(): EncodedPack {
    return { id: this.id, kind: this.kind, size: this.size, records: this.table.records(this.first, this.count) };
  }

  /** Its full description, built anew on each call. */
  describe(): PackDescription {
    const blobs: PackDescription['blobs'][number][] = [];
    for (let r = this.first; r < this.first + this.count; r++) blobs.push(this.table.blob(r));
    return { id: this.id, kind: this.kind, size: this.size, blobs };
  }
}

export class IndexView {
  readonly #byId = new Map<PackId, IndexedPack>();

  constructor(
    /** Ids of the index files read (readable ones only), in order. */
    readonly files: readonly string[],
    /** Every indexed pack in index order (a pack listed twice: the first description met). */
    readonly packs: readonly IndexedPack[],
    /** Every blob record of those packs. */
    readonly blobs: BlobTable,
  ) {
    for (const p of packs) this.#byId.set(p.id, p);
  }

  pack(id: PackId): IndexedPack | undefined {
    return this.#byId.get(id);
  }

  /** The pack holding record `r`. */
  packOf(r: number): IndexedPack {
    let lo = 0;
    let hi = this.packs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.packs[mid]!.first <= r) lo = mid;
      else hi = mid - 1;
    }
    return this.packs[lo]!;
  }

  /** Whether `id` is indexed (with blob type `type`, when given). */
  has(id: BlobId, type?: BlobType): boolean {
    return (type === undefined ? this.blobs.find(id) : this.blobs.findOfType(id, type)) >= 0;
  }

  /** Every location of `id`, in index order. */
  locations(id: BlobId): BlobLocation[] {
    return this.blobs.recordsOf(id).map((r) => this.location(r));
  }

  /** The first location of `id` with blob type `type`. */
  locate(id: BlobId, type: BlobType): BlobLocation | undefined {
    const r = this.blobs.findOfType(id, type);
    return r < 0 ? undefined : this.location(r);
  }

  location(r: number): BlobLocation {
    const { type, offset, length, rawLength } = this.blobs.blob(r);
    return { pack: this.packOf(r).id, type, offset, length, rawLength };
  }
}

export interface LoadIndexOptions {
  /** Called for an index file that cannot be read; without it the error is thrown. */
  readonly onError?: (indexId: string, err: unknown) => void;
  /** Called for a pack that a later index file lists again, with both descriptions. */
  readonly onRepeat?: (indexId: string, again: PackDescription, first: PackDescription) => void;
}

/** Index files fetched while an earlier one is absorbed. */
const READ_AHEAD = 2;
/** Bytes of an index file that are not blob records at the least: seal, frame, version and pack count. */
const FILE_OVERHEAD = 24 + 16 + 1 + 1 + 4;

export async function listIndexFiles(backend: Backend): Promise<{ id: string; size: number }[]> {
  const files: { id: string; size: number }[] = [];
  for await (const { name, size } of backend.list(INDEX_PREFIX)) {
    const id = name.slice(INDEX_PREFIX.length);
    if (isHexId(id)) files.push({ id, size });
  }
  return files.sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function listIndexFileIds(backend: Backend): Promise<string[]> {
  return (await listIndexFiles(backend)).map((f) => f.id);
}

interface ScannedPack {
  readonly id: PackId;
  readonly kind: PackKind;
  readonly size: number;
  readonly count: number;
  readonly at: number;
}

/** Reads every index file, in id order, into a view. */
export async function loadIndexView(backend: Backend, sealer: Sealer, opts: LoadIndexOptions = {}): Promise<IndexView> {
  const listed = await listIndexFiles(backend);
  // Room for as many records as the files' sizes allow, reserved once: pages never written are never touched.
  const table = new BlobTable(listed.reduce((n, f) => n + Math.max(0, Math.floor((f.size - FILE_OVERHEAD) / BLOB_ENTRY)), 0));
  const files: string[] = [];
  const packs: IndexedPack[] = [];
  const byId = new Map<PackId, IndexedPack>();
  const absorb = (fileId: string, body: Uint8Array): void => {
    const found: ScannedPack[] = [];
    scanIndexBody(body, { pack: (id, kind, size, count, at) => found.push({ id, kind, size, count, at }), blob: () => undefined });
    files.push(fileId);
    for (const p of found) {
      const first = byId.get(p.id);
      if (first) {
        opts.onRepeat?.(fileId, describeScanned(body, p), first.describe());
        continue;
      }
      const pack = new IndexedPack(p.id, p.kind, p.size, table.append(body, p.at, p.count), p.count, table);
      packs.push(pack);
      byId.set(p.id, pack);
    }
  };
  const read = (f: { id: string }): Promise<Uint8Array | { failed: unknown }> =>
    readIndexBody(backend, sealer, f.id).catch((failed: unknown) => ({ failed }));
  for await (const [{ id }, body] of readAhead(listed, read, READ_AHEAD)) {
    try {
      if (!(body instanceof Uint8Array)) throw body.failed;
      absorb(id, body);
    } catch (err) {
      if (!opts.onError) throw err;
      opts.onError(id, err);
    }
  }
  table.index();
  return new IndexView(files, packs, table);
}

function describeScanned(body: Uint8Array, p: ScannedPack): PackDescription {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const blobs = Array.from({ length: p.count }, (_, i) => decodeBlobRecord(bytes, p.at + i * BLOB_ENTRY));
  return { id: p.id, kind: p.kind, size: p.size, blobs };
}
