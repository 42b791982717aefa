/** Repository locks: shared for backup/mount, exclusive for prune/forget; refreshed while held. */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { RozenError } from '../core/errors.js';
import { toHex } from '../core/ids.js';
import { AAD } from '../crypto/sealer.js';
import { packMsg, unpackMsg } from '../codec/msgpack.js';
import type { Repository } from './repository.js';
import { openFile, sealFile } from './sealed-file.js';

export const STALE_AFTER_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;

export interface LockInfo {
  readonly id: string;
  readonly hostname: string;
  readonly username: string;
  readonly pid: number;
  readonly time: number;
  readonly exclusive: boolean;
}

export interface Lock {
  readonly id: string;
  release(): Promise<void>;
}

function encode(info: Omit<LockInfo, 'id'>): Uint8Array {
  return packMsg({ version: 1, ...info });
}

export async function listLocks(repo: Repository): Promise<LockInfo[]> {
  const out: LockInfo[] = [];
  for await (const o of repo.backend.list('locks/')) {
    const id = o.name.slice('locks/'.length);
    try {
      const v = unpackMsg(openFile(repo.sealer, AAD.lock, await repo.backend.get(o.name))) as Omit<LockInfo, 'id'>;
      out.push({ id, hostname: v.hostname, username: v.username, pid: v.pid, time: v.time, exclusive: v.exclusive });
    } catch (err) {
      if (!(err instanceof RozenError && err.code === 'NotFound')) throw err;
    }
  }
  return out;
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

function describe(l: LockInfo): string {
  return `${l.exclusive ? 'exclusive' : 'shared'} lock ${l.id.slice(0, 8)} held by pid ${l.pid} on ${l.hostname} (user ${l.username}) since ${new Date(l.time).toISOString()}`;
}

/** Take a lock; fails at once (exit 11) if it conflicts with a live lock. */
export async function acquireLock(repo: Repository, exclusive: boolean): Promise<Lock> {
  const check = async (mine?: string): Promise<void> => {
    for (const l of await listLocks(repo)) {
      if (l.id === mine || isStale(l)) continue;
      if (exclusive || l.exclusive) {
        throw new RozenError('Locked', `repository is locked: ${describe(l)}; use \`rozen unlock\` if it is stale`);
      }
    }
  };
  await check();
  const id = toHex(randomBytes(32));
  const base = { hostname: hostname(), username: userInfo().username, pid: process.pid, exclusive };
  const write = (): Promise<void> => repo.backend.put(`locks/${id}`, sealFile(repo.sealer, AAD.lock, encode({ ...base, time: Date.now() }), false));
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

/** Remove stale locks (or all with `all`); returns the removed ones. */
export async function removeLocks(repo: Repository, all: boolean): Promise<LockInfo[]> {
  const removed: LockInfo[] = [];
  for (const l of await listLocks(repo)) {
    if (all || isStale(l)) {
      await repo.backend.delete(`locks/${l.id}`);
      removed.push(l);
    }
  }
  return removed;
}
