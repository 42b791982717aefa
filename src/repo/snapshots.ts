/** Snapshot records in the repository: save, list, load, and resolve selectors (id, prefix, latest). */
import { RozenError, corrupt } from '../core/errors.js';
import { fromHex, toHex, type BlobId, type SnapshotId } from '../core/ids.js';
import { AAD } from '../crypto/sealer.js';
import { packMsg } from '../codec/msgpack.js';
import type { Snapshot, SnapshotRecord } from '../core/snapshot.js';
import type { Repository } from './repository.js';
import { putSealedFile } from './sealed-file.js';

const DIR = 'snapshots';

function encodeRecord(r: SnapshotRecord): Uint8Array {
  return packMsg({
    version: 1,
    time: r.time,
    hostname: r.hostname,
    username: r.username,
    paths: [...r.paths],
    tags: [...r.tags],
    tree: Buffer.from(fromHex(r.tree)),
    ...(r.parent !== undefined && { parent: r.parent }),
    ...(r.summary !== undefined && { summary: { ...r.summary } }),
  });
}

function decodeRecord(id: string, v: unknown): Snapshot {
  const o = v as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (typeof o !== 'object' || o === null || o['version'] !== 1) throw corrupt(`snapshot ${id}`);
  const tree = o['tree'];
  if (typeof o['time'] !== 'string' || typeof o['hostname'] !== 'string' || !strings(o['paths']) || !strings(o['tags'])
    || !(tree instanceof Uint8Array) || tree.length !== 32) {
    throw corrupt(`snapshot ${id}`);
  }
  return {
    id: id as SnapshotId,
    time: o['time'],
    hostname: o['hostname'],
    username: typeof o['username'] === 'string' ? o['username'] : '',
    paths: o['paths'],
    tags: o['tags'],
    tree: toHex(tree) as BlobId,
    ...(typeof o['parent'] === 'string' && { parent: o['parent'] as SnapshotId }),
    ...(typeof o['summary'] === 'object' && o['summary'] !== null && { summary: o['summary'] as Record<string, number> }),
  };
}

export async function saveSnapshot(repo: Repository, record: SnapshotRecord): Promise<SnapshotId> {
  return (await putSealedFile(repo.backend, repo.sealer, DIR, AAD.snapshot, encodeRecord(record))) as SnapshotId;
}

export async function listSnapshotIds(repo: Repository): Promise<SnapshotId[]> {
  const ids: SnapshotId[] = [];
  for await (const o of repo.backend.list(`${DIR}/`)) ids.push(o.name.slice(DIR.length + 1) as SnapshotId);
  return ids;
}

export async function loadSnapshot(repo: Repository, id: SnapshotId): Promise<Snapshot> {
  return decodeRecord(id, await repo.readSealed(DIR, id, AAD.snapshot));
}

/** Every snapshot, oldest first. */
export async function listSnapshots(repo: Repository): Promise<Snapshot[]> {
  const ids = await listSnapshotIds(repo);
  const snaps = await Promise.all(ids.map((id) => loadSnapshot(repo, id)));
  return snaps.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

export interface SnapshotFilter {
  readonly host?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly paths?: readonly string[] | undefined;
}

export function matchesFilter(s: Snapshot, f: SnapshotFilter): boolean {
  if (f.host !== undefined && s.hostname !== f.host) return false;
  if (f.tags && f.tags.length > 0 && !f.tags.every((t) => s.tags.includes(t))) return false;
  if (f.paths && f.paths.length > 0 && !f.paths.every((p) => s.paths.includes(p))) return false;
  return true;
}

/** Full id, unique prefix, or `latest` (newest matching the filter). */
export async function findSnapshot(repo: Repository, selector: string, filter: SnapshotFilter = {}): Promise<Snapshot> {
  if (selector === 'latest') {
    const all = (await listSnapshots(repo)).filter((s) => matchesFilter(s, filter));
    const last = all.at(-1);
    if (!last) throw new RozenError('NotFound', 'no snapshot found');
    return last;
  }
  if (!/^[0-9a-f]{1,64}$/.test(selector)) throw new RozenError('InvalidArgument', `invalid snapshot id ${selector}`);
  const matches = (await listSnapshotIds(repo)).filter((id) => id.startsWith(selector));
  if (matches.length === 0) throw new RozenError('NotFound', `no snapshot with id ${selector}`);
  if (matches.length > 1) throw new RozenError('InvalidArgument', `snapshot id prefix ${selector} is ambiguous`);
  return loadSnapshot(repo, matches[0]!);
}
