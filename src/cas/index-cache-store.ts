/** Opens the LevelDB store behind the index cache, recovering from corruption, version changes and locks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Level } from 'level';
import { CACHE_VERSION, VERSION_KEY, decodeU32, encodeU32 } from './index-cache-codec.js';

export type CacheDb = Level<Uint8Array, Uint8Array>;

/** Where the cache ended up: `temporary` when `dir` was locked by another process. */
export interface OpenedStore {
  readonly db: CacheDb;
  readonly dir: string;
  readonly temporary: boolean;
}

/**
 * Bounded native memory, however many entries: LevelDB 1.20 mmaps every open table
 * file, and pages it touched stay resident (counted in RSS) while the table is open, so only
 * few, small tables are kept open (74 is LevelDB's floor; 64 of them tables, ≤ 1 MiB each).
 * One small memtable and a small block cache suffice for random 32-byte keys. The price is
 * reopening tables on random lookups: see scripts/bench/index-bench.mjs for the rates.
 */
const STORE_OPTIONS = {
  keyEncoding: 'view',
  valueEncoding: 'view',
  writeBufferSize: 2 << 20,
  cacheSize: 2 << 20,
  maxFileSize: 1 << 20,
  maxOpenFiles: 74,
} as const;

/**
 * Opens (creating if needed) the cache in `dir`. A store that cannot be opened, or was
 * written by another cache version, is deleted and recreated empty. A store locked by
 * another process (a second rozen on the same repository) is left alone, and a fresh
 * temporary directory is used instead, deleted again by `closeStore`.
 */
export async function openStore(dir: string): Promise<OpenedStore> {
  try {
    return { db: await openVersioned(dir), dir, temporary: false };
  } catch (err) {
    if (!isLocked(err)) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      try {
        return { db: await openVersioned(dir), dir, temporary: false };
      } catch {
        // fall through to a private store: a broken cache must never stop a backup
      }
    }
  }
  const tmp = await mkdtemp(join(tmpdir(), 'rozen-index-'));
  return { db: await openVersioned(tmp), dir: tmp, temporary: true };
}

export async function closeStore(store: OpenedStore): Promise<void> {
  await store.db.close();
  if (store.temporary) await rm(store.dir, { recursive: true, force: true });
}

/** Deletes every file of a closed, non-temporary store and opens it again empty. */
export async function recreateStore(store: OpenedStore): Promise<OpenedStore> {
  await store.db.close();
  await rm(store.dir, { recursive: true, force: true });
  return { ...store, db: await openVersioned(store.dir) };
}

async function openVersioned(dir: string): Promise<CacheDb> {
  let db = await openRaw(dir);
  const version = decodeU32(await db.get(VERSION_KEY));
  if (version === CACHE_VERSION) return db;
  if (version !== undefined || (await hasAnyKey(db))) {
    await db.close();
    await rm(dir, { recursive: true, force: true });
    db = await openRaw(dir);
  }
  await db.put(VERSION_KEY, encodeU32(CACHE_VERSION));
  return db;
}

let levelModule: Promise<typeof import('level')> | undefined;

/**
 * Starts loading LevelDB's modules, once. They are not loaded with the program: loading them was a delay every
 * command paid before it started. A command that will open the cache starts this first, so the loading overlaps
 * its key derivation instead of following it.
 */
export function preloadStore(): Promise<typeof import('level')> {
  levelModule ??= import('level');
  return levelModule;
}

async function openRaw(dir: string): Promise<CacheDb> {
  const { Level } = await preloadStore();
  const db = new Level<Uint8Array, Uint8Array>(dir, STORE_OPTIONS);
  await db.open();
  return db;
}

async function hasAnyKey(db: CacheDb): Promise<boolean> {
  const keys = await db.keys({ limit: 1 }).all();
  return keys.length > 0;
}

function isLocked(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return codeOf(err) === 'LEVEL_LOCKED' || codeOf(cause) === 'LEVEL_LOCKED';
}

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
}
