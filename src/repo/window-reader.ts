/**
 * Reads sealed blobs through windows of their packs, so browsing and copying out of a mount
 * cost about one GET per pack: a small (normal or tree) pack is fetched whole on first use;
 * in a degenerate pack the window starts at one blob (8 MiB at the start of the pack) and grows
 * fourfold while reads stay sequential, so a random read costs one chunk and a sequential one a
 * few large GETs.
 */
import { LRUCache } from 'lru-cache';
import type { Backend } from '../backend/backend.js';
import { packName } from '../cas/pack-path.js';
import type { PackId } from '../core/ids.js';
import { PackKind, type BlobLocation } from '../core/types.js';

export interface WindowOptions {
  /** Bytes of fetched windows kept (default 96 MiB). */
  readonly cacheBytes?: number;
  /** Normal and tree packs up to this size are fetched whole (default 32 MiB). */
  readonly wholePack?: number;
  /** Largest window in a degenerate pack (default 64 MiB). */
  readonly maxWindow?: number;
}

/** What the reader needs to know of a pack (the index answers it). */
export interface PackInfoSource {
  packInfo(id: PackId): { readonly kind: PackKind; readonly size: number } | undefined;
}

interface Window {
  readonly pack: PackId;
  readonly offset: number;
  readonly length: number;
  readonly bytes: Promise<Uint8Array>;
}

const MiB = 1024 * 1024;

export class WindowReader {
  readonly #backend: Backend;
  readonly #index: PackInfoSource;
  readonly #wholePack: number;
  readonly #maxWindow: number;
  readonly #firstWindow: number;
  readonly #byPack = new Map<PackId, Set<Window>>();
  readonly #lru: LRUCache<Window, Window>;
  readonly #sequential = new Map<PackId, { end: number; size: number }>();
  gets = 0;

  constructor(backend: Backend, index: PackInfoSource, opts: WindowOptions = {}) {
    this.#backend = backend;
    this.#index = index;
    this.#wholePack = opts.wholePack ?? 32 * MiB;
    this.#maxWindow = opts.maxWindow ?? 64 * MiB;
    this.#firstWindow = 8 * MiB;
    this.#lru = new LRUCache<Window, Window>({
      maxSize: opts.cacheBytes ?? 96 * MiB,
      sizeCalculation: (w) => Math.max(1, w.length),
      dispose: (w) => this.#byPack.get(w.pack)?.delete(w),
    });
  }

  /** The sealed bytes of the blob at `loc`. */
  async read(loc: BlobLocation): Promise<Uint8Array> {
    const w = await this.readWindow(loc);
    const at = loc.offset - w.offset;
    return w.bytes.subarray(at, at + loc.length);
  }

  /** The fetched window holding the blob at `loc`: where it starts in the pack, and its bytes. */
  async readWindow(loc: BlobLocation): Promise<{ readonly offset: number; readonly bytes: Uint8Array }> {
    const w = this.#covering(loc) ?? this.#fetch(loc);
    try {
      return { offset: w.offset, bytes: await w.bytes };
    } catch (err) {
      this.#lru.delete(w);
      throw err;
    }
  }

  #covering(loc: BlobLocation): Window | undefined {
    for (const w of this.#byPack.get(loc.pack) ?? []) {
      if (loc.offset >= w.offset && loc.offset + loc.length <= w.offset + w.length) {
        this.#lru.get(w);
        return w;
      }
    }
    return undefined;
  }

  #fetch(loc: BlobLocation): Window {
    const { offset, length } = this.#windowFor(loc);
    this.gets++;
    const w: Window = { pack: loc.pack, offset, length, bytes: this.#backend.get(packName(loc.pack), { offset, length }) };
    w.bytes.catch(() => undefined);
    let set = this.#byPack.get(loc.pack);
    if (!set) this.#byPack.set(loc.pack, (set = new Set()));
    set.add(w);
    this.#lru.set(w, w);
    return w;
  }

  #windowFor(loc: BlobLocation): { offset: number; length: number } {
    const info = this.#index.packInfo(loc.pack);
    const end = loc.offset + loc.length;
    if (!info) return { offset: loc.offset, length: loc.length };
    if (info.kind !== PackKind.degenerate && info.size <= this.#wholePack) return { offset: 0, length: info.size };
    const seq = this.#sequential.get(loc.pack);
    // A read from the start of a pack is usually a whole-file read (cat, rsync): begin with a
    // larger window. A read at or a little past the end of the last window (read-ahead asks a few
    // chunks on) continues it: the next window starts where that one ended and is four times as
    // large. Other first reads fetch one chunk.
    const first = loc.offset === 0 ? Math.min(this.#firstWindow, this.#maxWindow) : loc.length;
    const follows = seq !== undefined && loc.offset >= seq.end - loc.length && loc.offset <= seq.end + seq.size ? seq : undefined;
    const start = follows && loc.offset > follows.end ? follows.end : loc.offset;
    const size = follows ? Math.min(follows.size * 4, this.#maxWindow) : first;
    let length = Math.max(end - start, Math.min(size, info.size - start));
    // No short last window: a sequential read takes the rest of the pack with this one when it
    // is less than half a window (a 120 MiB file: 8 + 32 + 80 MiB, three GETs, not four).
    const rest = info.size - start - length;
    if (follows && rest > 0 && rest < length / 2 && length + rest <= this.#maxWindow * 1.25) length += rest;
    this.#sequential.set(loc.pack, { end: start + length, size: length });
    return { offset: start, length };
  }
}
