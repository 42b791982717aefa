/** Snapshot records in the repository: save, list, load, and resolve selectors (id, prefix, latest). */
import { RozenError, corrupt, isRozenError } from '../core/errors.js';
import { fromHex, isHexId, toHex, type BlobId, type SnapshotId } from '../core/ids.js';
import { oneLine } from '../core/one-line.js';
import { AAD } from '../crypto/sealer.js';
import { packMsg, unpackMsg } from '../codec/msgpack.js';
import type { Snapshot, SnapshotRecord } from '../core/snapshot.js';
import type { Repository } from './repository.js';
import { forEachLimited } from './for-each-limited.js';
import { getSealedFile, putSealedFile } from './sealed-file.js';
import { MiB } from '../core/sizes.js';
import { deleteFormatObjects } from '../backend/format-names.js';

const DIR = 'snapshots';
/** Largest stored snapshot record (FORMAT §9.1): writers refuse a larger one, readers do not read it. */
export const MAX_SNAPSHOT_BYTES = 16 * MiB;
/** Snapshot records read at once. */
const READ_AHEAD = 16;

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
    ...(r.original !== undefined && { original: r.original }),
    ...(r.copiedFrom !== undefined && { copied_from: r.copiedFrom }),
  });
}

function decodeRecord(id: string, v: unknown): Snapshot {
  const o = v as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (typeof o !== 'object' || o === null || o['version'] !== 1) throw corrupt(`snapshot ${oneLine(id)}`);
  const tree = o['tree'];
  if (
    typeof o['time'] !== 'string' ||
    typeof o['hostname'] !== 'string' ||
    !strings(o['paths']) ||
    !strings(o['tags']) ||
    !(tree instanceof Uint8Array) ||
    tree.length !== 32
  ) {
    throw corrupt(`snapshot ${oneLine(id)}`);
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
    ...(typeof o['original'] === 'string' && isHexId(o['original']) && { original: o['original'] as SnapshotId }),
    ...(typeof o['copied_from'] === 'string' && isHexId(o['copied_from']) && { copiedFrom: o['copied_from'] as SnapshotId }),
  };
}

export async function saveSnapshot(repo: Repository, record: SnapshotRecord): Promise<SnapshotId> {
  return (await putSealedFile(repo.backend, repo.sealer, DIR, AAD.snapshot, encodeRecord(record), MAX_SNAPSHOT_BYTES)) as SnapshotId;
}

/**
 * Replaces `old` by a record with `changes` applied: the new record (naming the first record of the chain in
 * `original`) is saved, durably, before the old one is deleted, so after a crash one or both exist.
 */
export async function replaceSnapshot(repo: Repository, old: Snapshot, changes: Partial<SnapshotRecord>): Promise<SnapshotId> {
  const { id, ...record } = old;
  const next = await saveSnapshot(repo, { ...record, ...changes, original: old.original ?? id });
  if (next !== id) await deleteFormatObjects(repo.backend, [`${DIR}/${id}`]);
  return next;
}

export async function listSnapshotIds(repo: Repository): Promise<SnapshotId[]> {
  return (await listSnapshotFiles(repo)).map((f) => f.id);
}

/** Records named by 64 hex digits (FORMAT §1), with their listed sizes; other names are no snapshots. */
async function listSnapshotFiles(repo: Repository): Promise<{ id: SnapshotId; size: number }[]> {
  const files: { id: SnapshotId; size: number }[] = [];
  for await (const o of repo.backend.list(`${DIR}/`)) {
    const id = o.name.slice(DIR.length + 1);
    if (isHexId(id)) files.push({ id: id as SnapshotId, size: o.size });
  }
  return files;
}

/** One snapshot record; `size` (from a listing) saves a stat. CorruptData names the file. */
export async function loadSnapshot(repo: Repository, id: SnapshotId, size?: number): Promise<Snapshot> {
  const name = `${DIR}/${id}`;
  const plain = await getSealedFile(repo.backend, repo.sealer, DIR, id, AAD.snapshot, { maxBytes: MAX_SNAPSHOT_BYTES, size });
  return decodeRecord(id, unpackMsg(plain, oneLine(name)));
}

/**
 * Every snapshot, oldest first. With `onError`, a record that cannot be read (CorruptData, NotFound) is
 * handed to it and left out; without, the first such error is thrown.
 */
export async function listSnapshots(repo: Repository, onError?: (id: SnapshotId, err: RozenError) => void): Promise<Snapshot[]> {
  const files = await listSnapshotFiles(repo);
  const snaps: Snapshot[] = [];
  await forEachLimited(files, READ_AHEAD, async ({ id, size }) => {
    try {
      snaps.push(await loadSnapshot(repo, id, size));
    } catch (err) {
      if (!onError || !(isRozenError(err, 'CorruptData') || isRozenError(err, 'NotFound'))) throw err;
      onError(id, err);
    }
  });
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

/** The snapshots `selectors` name (ids, prefixes, `latest`), or with none every snapshot matching the filter; each once. */
export async function findSnapshots(repo: Repository, selectors: readonly string[], filter: SnapshotFilter): Promise<Snapshot[]> {
  if (selectors.length === 0) return (await listSnapshots(repo)).filter((s) => matchesFilter(s, filter));
  const found: Snapshot[] = [];
  for (const sel of selectors) found.push(await findSnapshot(repo, sel, filter));
  return [...new Map(found.map((s) => [s.id, s])).values()];
}
