/** A repository opened for use: backend, keys, config, index and blob/snapshot access. */
import { join } from 'node:path';
import envPaths from 'env-paths';
import type { Backend } from '../backend/backend.js';
import { RozenError, isRozenError } from '../core/errors.js';
import { shortId, type BlobId, type PackId } from '../core/ids.js';
import { BlobType, type BlobLocation } from '../core/types.js';
import { BlobIndex } from '../cas/blob-index.js';
import { readBlob } from '../cas/pack-reader.js';
import { gearTable } from '../cas/gear.js';
import { blobIdOf } from '../crypto/blob-id.js';
import { generateMasterKey, wipeMasterKey, type MasterKey } from '../crypto/master-key.js';
import { AAD, Sealer } from '../crypto/sealer.js';
import { packMsg } from '../codec/msgpack.js';
import { loadConfig, newConfig, type RepoConfig } from './config.js';
import { addKey, unlockMasterKey } from './keys.js';
import { sealFile } from './sealed-file.js';
import { WindowReader, type WindowOptions } from './window-reader.js';
import { nativeKeys, openBlobRun } from './native-open.js';
import { MiB } from '../core/sizes.js';

export interface OpenOptions {
  /** Directory for the local index cache; defaults to the user cache dir (ROZEN_CACHE_DIR overrides). */
  readonly cacheDir?: string;
}

export function defaultCacheDir(): string {
  return process.env['ROZEN_CACHE_DIR'] ?? envPaths('rozen', { suffix: '' }).cache;
}

export async function requireRepo(backend: Backend): Promise<void> {
  if (!(await backend.stat('config'))) {
    throw new RozenError('RepoNotFound', `no repository at ${backend.location}`);
  }
}

export class Repository {
  readonly backend: Backend;
  readonly master: MasterKey;
  readonly keyId: string;
  readonly config: RepoConfig;
  readonly sealer: Sealer;
  readonly index: BlobIndex;
  #gear: Uint32Array | undefined;
  #trees: WindowReader | undefined;

  /** The keys as the addon takes them (native-open.ts). */
  #keys: Uint8Array | undefined;

  private constructor(backend: Backend, master: MasterKey, keyId: string, config: RepoConfig, sealer: Sealer, index: BlobIndex) {
    this.backend = backend;
    this.master = master;
    this.keyId = keyId;
    this.config = config;
    this.sealer = sealer;
    this.index = index;
  }

  /** Create a new repository; refuses (RepoExists) when one is already there and changes nothing. */
  static async init(backend: Backend, password: string, overrides: Partial<RepoConfig> = {}): Promise<{ id: string; keyId: string }> {
    if (await backend.stat('config')) {
      throw new RozenError('RepoExists', `a repository already exists at ${backend.location}`);
    }
    for await (const _ of backend.list('keys/')) {
      throw new RozenError('RepoExists', `${backend.location} already holds key files; refusing to initialise over them`);
    }
    const master = generateMasterKey();
    const sealer = new Sealer(master.encKey);
    try {
      const config = newConfig(overrides);
      const keyId = await addKey(backend, master, password);
      await backend.put('config', sealFile(sealer, AAD.config, packMsg(config), false));
      return { id: config.id, keyId };
    } finally {
      sealer.wipe();
      wipeMasterKey(master);
    }
  }

  static async open(backend: Backend, password: string, opts: OpenOptions = {}): Promise<Repository> {
    BlobIndex.preload();
    await requireRepo(backend);
    const { master, keyId } = await unlockMasterKey(backend, password);
    const sealer = new Sealer(master.encKey);
    try {
      const config = await loadConfig(backend, sealer);
      const cacheDir = join(opts.cacheDir ?? defaultCacheDir(), config.id, 'index');
      const index = await BlobIndex.open(backend, sealer, cacheDir);
      return new Repository(backend, master, keyId, config, sealer, index);
    } catch (err) {
      sealer.wipe();
      wipeMasterKey(master);
      throw err;
    }
  }

  get gear(): Uint32Array {
    this.#gear ??= gearTable(this.master.idKey);
    return this.#gear;
  }

  blobId(data: Uint8Array): BlobId {
    return blobIdOf(this.master.idKey, data);
  }

  async locate(id: BlobId): Promise<BlobLocation> {
    const loc = await this.index.lookup(id);
    if (!loc) throw new RozenError('NotFound', `blob ${id} is not in the index`);
    return loc;
  }

  /**
   * Authenticate, decompress, verify. Data blobs cost one ranged GET; tree blobs are read
   * through whole tree packs (cached), since walking a snapshot reads many of one pack.
   */
  async loadBlob(id: BlobId, loc?: BlobLocation): Promise<Uint8Array> {
    const where = loc ?? (await this.locate(id));
    this.#trees ??= new WindowReader(this.backend, this.index, { cacheBytes: 64 * MiB });
    const sealed = where.type === BlobType.tree ? await this.#trees.read(where) : await readBlob(this.backend, where);
    return this.openSealed(id, sealed, where);
  }

  /**
   * Tree blobs read through a cache of whole tree packs of their own, of `packCacheBytes`, that goes when the
   * returned function does: for a walk of every tree, which meets them in about the order they were written.
   */
  treeReader(packCacheBytes: number): (id: BlobId, loc: BlobLocation) => Promise<Uint8Array> {
    return this.opening(this.sealedReader(packCacheBytes));
  }

  /** Plaintexts of the blobs that `sealed` reads, each opened as openSealed does. */
  opening(sealed: (loc: BlobLocation) => Promise<Uint8Array>): (id: BlobId, loc: BlobLocation) => Promise<Uint8Array> {
    return async (id, loc) => this.openSealed(id, await sealed(loc), loc);
  }

  /** The keys as the addon takes them (encryption key ‖ id key), zeroed when the repository closes. */
  get addonKeys(): Uint8Array {
    this.#keys ??= nativeKeys(this.master.encKey, this.master.idKey);
    return this.#keys;
  }

  /** Sealed blobs read through a cache of whole packs of `packCacheBytes`, as treeReader reads them (`opts`: the windows of large packs). */
  sealedReader(packCacheBytes: number, opts: Omit<WindowOptions, 'packCacheBytes'> = {}): (loc: BlobLocation) => Promise<Uint8Array> {
    const packs = new WindowReader(this.backend, this.index, { ...opts, packCacheBytes });
    return (loc) => packs.read(loc);
  }

  /** The plaintext of the sealed blob `id` read from `where`: authenticated, decompressed and checked against its id. */
  openSealed(id: BlobId, sealed: Uint8Array, where: BlobLocation): Promise<Uint8Array> {
    // Opened in the addon (on the libuv pool, or here when a few KiB, see openBlobRun): a backup, restore or mount
    // loads trees by the hundred, and opening them in JavaScript held its thread for a noticeable share of an unchanged backup.
    return openBlobRun(this.addonKeys, sealed, [{ id, at: 0, length: sealed.length, rawLength: where.rawLength }]).catch((err: unknown) => {
      throw inPack(err, where.pack);
    });
  }

  /** Close the index and backend, then zero every copy of the keys this repository held. */
  async close(): Promise<void> {
    try {
      await this.index.close();
      await this.backend.close();
    } finally {
      this.#keys?.fill(0);
      this.#gear?.fill(0);
      this.sealer.wipe();
      wipeMasterKey(this.master);
    }
  }
}

/** A blob's CorruptData naming the pack file it was read from, the file to repair. */
export function inPack(err: unknown, pack: PackId): unknown {
  return isRozenError(err, 'CorruptData') ? new RozenError('CorruptData', `pack ${shortId(pack)}: ${err.message}`, { cause: err }) : err;
}
