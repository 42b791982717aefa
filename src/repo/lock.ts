/** Repository locks: shared for commands that read or add (backup, restore, check, stats, mount), exclusive for those that delete (forget, prune, repair); refreshed while held. */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { ObjectInfo } from '../backend/backend.js';
import { deleteFormatObjects, isFormatName } from '../backend/format-names.js';
import { getBounded } from '../backend/get-bounded.js';
import { RozenError, isRozenError } from '../core/errors.js';
import { toHex, shortId } from '../core/ids.js';
import { oneLine } from '../core/one-line.js';
import { AAD } from '../crypto/sealer.js';
import { packMsg, unpackMsg } from '../codec/msgpack.js';
import type { Repository } from './repository.js';
import { openFile, sealFile } from './sealed-file.js';

export const STALE_AFTER_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;
/** A larger file in locks/ is not read: a lock record is well under a kilobyte. */
export const MAX_LOCK_FILE_BYTES = 64 * 1024;

export interface LockInfo {
  readonly id: string;
  readonly hostname: string;
  readonly username: string;
  readonly pid: number;
  readonly time: number;
  readonly exclusive: boolean;
}

/** A file in locks/ that is no lock this key wrote: garbage, damaged, oversized or of an unknown version. */
export interface UnreadableLock {
  readonly id: string;
  /** The backend's modification time (0 if unknown): nobody refreshes such a file, so it ages. */
  readonly mtimeMs: number;
  readonly reason: string;
}

export interface LockListing {
  readonly locks: LockInfo[];
  readonly unreadable: UnreadableLock[];
}

export interface Lock {
  readonly id: string;
  release(): Promise<void>;
}

/** Where a command says it passed over an unreadable lock (one line each). */
export type LockReport = (line: string) => void;

const toStderr: LockReport = (line) => void process.stderr.write(`rozen: ${line}\n`);

function encode(info: Omit<LockInfo, 'id'>): Uint8Array {
  return packMsg({ version: 1, ...info });
}

function decode(id: string, v: unknown): LockInfo | string {
  if (typeof v !== 'object' || v === null) return 'not a lock record';
  const o = v as Record<string, unknown>;
  if (o['version'] !== 1) return `unsupported lock version ${oneLine(String(o['version']))}`;
  const { hostname: h, username: u, pid, time, exclusive } = o;
  const names = typeof h === 'string' && typeof u === 'string';
  const validPid = typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0;
  const when = typeof time === 'number' && !Number.isNaN(new Date(time).getTime());
  if (!names || !validPid || !when || typeof exclusive !== 'boolean') return 'invalid lock fields';
  return { id, hostname: h, username: u, pid, time, exclusive };
}

/** One lock, or why it cannot be read; undefined when it vanished since the listing. */
async function readLock(repo: Repository, o: ObjectInfo): Promise<LockInfo | UnreadableLock | undefined> {
  const id = o.name.slice('locks/'.length);
  const unreadable = (reason: string): UnreadableLock => ({ id, mtimeMs: o.mtimeMs, reason });
  if (o.size > MAX_LOCK_FILE_BYTES) return unreadable(`larger than ${MAX_LOCK_FILE_BYTES} bytes`);
  let stored: Uint8Array;
  try {
    stored = await getBounded(repo.backend, o.name, MAX_LOCK_FILE_BYTES, o.size);
  } catch (err) {
    if (isRozenError(err, 'NotFound')) return undefined;
    if (isRozenError(err, 'CorruptData')) return unreadable(err.message);
    throw err;
  }
  let v: unknown;
  try {
    v = unpackMsg(openFile(repo.sealer, AAD.lock, stored));
  } catch {
    return unreadable("not sealed with this repository's key (garbage or damaged)");
  }
  const lock = decode(id, v);
  return typeof lock === 'string' ? unreadable(lock) : lock;
}

export async function listLocks(repo: Repository): Promise<LockListing> {
  const listing: LockListing = { locks: [], unreadable: [] };
  for await (const o of repo.backend.list('locks/')) {
    const l = await readLock(repo, o);
    if (l === undefined) continue;
    if ('reason' in l) listing.unreadable.push(l);
    else listing.locks.push(l);
  }
  return listing;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Not refreshed for 30 minutes, or held by a process of this host that no longer runs. */
export function isStale(l: LockInfo, now = Date.now()): boolean {
  if (now - l.time > STALE_AFTER_MS) return true;
  return l.hostname === hostname() && !processAlive(l.pid);
}

/** Unchanged for 30 minutes by the backend's clock of the file; an unknown time is never stale. */
export function isStaleUnreadable(u: UnreadableLock, now = Date.now()): boolean {
  return u.mtimeMs > 0 && now - u.mtimeMs > STALE_AFTER_MS;
}

function describe(l: LockInfo): string {
  const who = `pid ${l.pid} on ${oneLine(l.hostname)} (user ${oneLine(l.username)})`;
  return `${l.exclusive ? 'exclusive' : 'shared'} lock ${oneLine(shortId(l.id))} held by ${who} since ${new Date(l.time).toISOString()}`;
}

export function describeUnreadable(u: UnreadableLock): string {
  return `unreadable lock locks/${oneLine(u.id)}: ${u.reason}`;
}

/**
 * Fails if a live lock conflicts. An unreadable lock is reported and passed over by shared locks;
 * an exclusive lock (which may delete data) waits for it to be stale, or for `unlock --remove-all`.
 */
function checkLocks(listing: LockListing, exclusive: boolean, mine: string | undefined, report: LockReport): void {
  for (const l of listing.locks) {
    if (l.id === mine || isStale(l)) continue;
    if (exclusive || l.exclusive) {
      throw new RozenError('Locked', `repository is locked: ${describe(l)}; use \`rozen unlock\` if it is stale`);
    }
  }
  for (const u of listing.unreadable) {
    if (exclusive && !isStaleUnreadable(u)) {
      const fix = 'it is passed over once unchanged for 30 minutes, or `rozen unlock --remove-all` removes it';
      throw new RozenError('Locked', `repository has an ${describeUnreadable(u)}; ${fix}`);
    }
    report(`passing over ${describeUnreadable(u)}`);
  }
}

/** Take a lock; fails at once (exit 11) if it conflicts with a live lock. Unreadable locks go to `report`. */
export async function acquireLock(repo: Repository, exclusive: boolean, report: LockReport = toStderr): Promise<Lock> {
  const reported = new Set<string>();
  const once: LockReport = (line) => {
    if (!reported.has(line)) report(line);
    reported.add(line);
  };
  const check = async (mine?: string): Promise<void> => checkLocks(await listLocks(repo), exclusive, mine, once);
  await check();
  const id = toHex(randomBytes(32));
  const base = { hostname: hostname(), username: userInfo().username, pid: process.pid, exclusive };
  const write = (): Promise<void> =>
    repo.backend.put(`locks/${id}`, sealFile(repo.sealer, AAD.lock, encode({ ...base, time: Date.now() }), false));
  await write();
  try {
    await check(id);
  } catch (err) {
    await repo.backend.delete(`locks/${id}`);
    throw err;
  }
  const timer = setInterval(() => void write().catch(() => undefined), REFRESH_MS);
  timer.unref();
  let released = false;
  return {
    id,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await repo.backend.delete(`locks/${id}`);
    },
  };
}

/** What `unlock` did: readable and unreadable locks removed, and unreadable ones kept (not yet stale). */
export interface LockRemoval {
  readonly removed: LockInfo[];
  readonly removedUnreadable: UnreadableLock[];
  readonly keptUnreadable: UnreadableLock[];
}

/** Remove stale locks, readable or not (or all with `all`); a file whose name the format does not define is kept. */
export async function removeLocks(repo: Repository, all: boolean): Promise<LockRemoval> {
  const { locks, unreadable } = await listLocks(repo);
  const named = (id: string): boolean => isFormatName(`locks/${id}`);
  const removed = locks.filter((l) => named(l.id) && (all || isStale(l)));
  const removedUnreadable = unreadable.filter((u) => named(u.id) && (all || isStaleUnreadable(u)));
  await deleteFormatObjects(
    repo.backend,
    [...removed, ...removedUnreadable].map((l) => `locks/${l.id}`),
  );
  return { removed, removedUnreadable, keptUnreadable: unreadable.filter((u) => !removedUnreadable.includes(u)) };
}
