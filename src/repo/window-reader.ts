/**
 * Reads sealed blobs through windows of their packs, so browsing and copying out of a mount
 * cost about one GET per pack: a small (normal or tree) pack is fetched whole on first use, and so
 * is a degenerate pack no larger than a first window; in a larger degenerate pack the window starts
 * at one blob (8 MiB at the start of the pack) and grows fourfold while reads stay sequential, so a
 * random read costs one chunk and a sequential one a few large GETs. Whole packs and windows of
 * degenerate packs are kept apart, so a large file streaming through does not evict the small
 * packs whose files are read next. A small pack evicted whole and needed again is not fetched whole
 * a second time: its reader wanders over more packs than the cache holds (a copy walking trees in
 * another order than the backup wrote them), so it gets a window from the blob on instead.
 */
import { LRUCache } from 'lru-cache';
import type { Backend } from '../backend/backend.js';
import { packName } from '../cas/pack-path.js';
import type { PackId } from '../core/ids.js';
import { PackKind, type BlobLocation } from '../core/types.js';
import { MiB } from '../core/sizes.js';
import { RecentMap } from '../core/recent-map.js';

/** The window fetched from a blob on in a small pack already fetched whole once. */
const REFETCH_WINDOW = 2 * MiB;
/** Small packs remembered as evicted. */
const EVICTED_PACKS = 4096;

export interface WindowOptions {
  /** Bytes of fetched windows of degenerate packs kept (default 96 MiB). */
  readonly cacheBytes?: number;
  /** Bytes of whole small packs kept (default 64 MiB). */
  readonly packCacheBytes?: number;
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
  /** The whole pack. */
  readonly whole: boolean;
  readonly bytes: Promise<Uint8Array>;
}

export class WindowReader {
  readonly #backend: Backend;
  readonly #index: PackInfoSource;
  readonly #wholePack: number;
  readonly #maxWindow: number;
  readonly #firstWindow: number;
  readonly #byPack = new Map<PackId, Set<Window>>();
  /** Windows of degenerate packs, and whole small packs. */
  readonly #lru: LRUCache<Window, Window>;
  readonly #packs: LRUCache<Window, Window>;
  readonly #sequential = new Map<PackId, { end: number; size: number }>();
  /** Small packs fetched whole and evicted since. */
  readonly #evicted = new RecentMap<PackId, true>(EVICTED_PACKS);
  gets = 0;

  constructor(backend: Backend, index: PackInfoSource, opts: WindowOptions = {}) {
    this.#backend = backend;
    this.#index = index;
    this.#wholePack = opts.wholePack ?? 32 * MiB;
    this.#maxWindow = opts.maxWindow ?? 64 * MiB;
    this.#firstWindow = 8 * MiB;
    const cache = (maxSize: number): LRUCache<Window, Window> =>
      new LRUCache<Window, Window>({
        maxSize,
        sizeCalculation: (w) => Math.max(1, w.length),
        dispose: (w, _key, reason) => {
          this.#byPack.get(w.pack)?.delete(w);
          if (w.whole && reason === 'evict') this.#evicted.set(w.pack, true);
        },
      });
    this.#lru = cache(opts.cacheBytes ?? 96 * MiB);
    this.#packs = cache(opts.packCacheBytes ?? 64 * MiB);
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
      this.#cacheOf(w).delete(w);
      throw err;
    }
  }

  #covering(loc: BlobLocation): Window | undefined {
    for (const w of this.#byPack.get(loc.pack) ?? []) {
      if (loc.offset >= w.offset && loc.offset + loc.length <= w.offset + w.length) {
        this.#cacheOf(w).get(w);
        return w;
      }
    }
    return undefined;
  }

  #fetch(loc: BlobLocation): Window {
    const { offset, length } = this.#windowFor(loc);
    this.gets++;
    const whole = offset === 0 && length === this.#index.packInfo(loc.pack)?.size;
    const w: Window = { pack: loc.pack, offset, length, whole, bytes: this.#backend.get(packName(loc.pack), { offset, length }) };
    w.bytes.catch(() => undefined);
    let set = this.#byPack.get(loc.pack);
    if (!set) this.#byPack.set(loc.pack, (set = new Set()));
    set.add(w);
    this.#cacheOf(w).set(w, w);
    return w;
  }

  #cacheOf(w: Window): LRUCache<Window, Window> {
    return w.whole ? this.#packs : this.#lru;
  }

  #windowFor(loc: BlobLocation): { offset: number; length: number } {
    const info = this.#index.packInfo(loc.pack);
    const end = loc.offset + loc.length;
    if (!info) return { offset: loc.offset, length: loc.length };
    const small = info.kind !== PackKind.degenerate;
    if (small && this.#evicted.get(loc.pack))
      return { offset: loc.offset, length: Math.max(loc.length, Math.min(REFETCH_WINDOW, info.size - loc.offset)) };
    if (info.size <= (small ? this.#wholePack : this.#firstWindow)) return { offset: 0, length: info.size };
    const seq = this.#sequential.get(loc.pack);
    // A read from the start of a pack is usually a whole-file read (cat, rsync): begin with a
    // larger window. A read at or a little past the end of the last window (read-ahead asks a few
    // chunks on) continues it: the next window starts where that one ended and is four times as
    // large. A read inside the last window, which was evicted since (its first chunk was read
    // ahead), resumes it at the same size. Other first reads fetch one chunk.
    const first = loc.offset === 0 ? Math.min(this.#firstWindow, this.#maxWindow) : loc.length;
    const resumes = seq !== undefined && loc.offset >= seq.end - seq.size && loc.offset < seq.end - loc.length;
    if (resumes) {
      const length = Math.max(loc.length, Math.min(seq.size, info.size - loc.offset));
      this.#sequential.set(loc.pack, { end: loc.offset + length, size: length });
      return { offset: loc.offset, length };
    }
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
