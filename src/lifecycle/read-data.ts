/** check --read-data: read whole packs, check their hash and header, open and re-hash every blob. */
import type { Repository } from '../repo/repository.js';
import { createHash } from 'node:crypto';
import { packName } from '../cas/pack-path.js';
import { readPack, readPackHeader } from '../cas/pack-reader.js';
import { corrupt, invalidArgument } from '../core/errors.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import type { BlobPool } from '../repo/blob-pool.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { sameDescription } from './pack-layout.js';

export type DataSubset =
  | { readonly kind: 'all' }
  | { readonly kind: 'percent'; readonly percent: number }
  | { readonly kind: 'part'; readonly k: number; readonly n: number };

/** `N%` (a random share) or `K/N` (the K-th of N fixed groups by first id byte). */
export function parseSubset(text: string): DataSubset {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct && Number(pct[1]) > 0 && Number(pct[1]) <= 100) return { kind: 'percent', percent: Number(pct[1]) };
  const part = /^(\d+)\/(\d+)$/.exec(text);
  if (part) {
    const k = Number(part[1]);
    const n = Number(part[2]);
    if (n >= 1 && n <= 256 && k >= 1 && k <= n) return { kind: 'part', k, n };
  }
  throw invalidArgument(`invalid --read-data-subset "${text}" (use N% or K/N with 1 ≤ K ≤ N ≤ 256)`);
}

export function selectPacks(ids: readonly PackId[], subset: DataSubset, random: () => number = Math.random): PackId[] {
  const sorted = [...ids].sort();
  if (subset.kind === 'all') return sorted;
  if (subset.kind === 'part') return sorted.filter((id) => parseInt(id.slice(0, 2), 16) % subset.n === subset.k - 1);
  const want = Math.ceil((sorted.length * subset.percent) / 100);
  const shuffled = sorted.map((id) => ({ id, r: random() })).sort((a, b) => a.r - b.r);
  return shuffled.slice(0, want).map((x) => x.id).sort();
}

const PACKS_AT_ONCE = 2;
const BLOBS_AT_ONCE = 8;
/** Packs larger than this are verified piece by piece instead of read whole. */
const WHOLE_PACK_MAX = 64 * 1024 * 1024;

/** Reads the packs; reports one line per problem. Returns the number of blobs verified. */
export async function readPacks(
  repo: Repository, packs: readonly PackDescription[], pool: BlobPool, problem: (line: string) => void,
  wholePackMax = WHOLE_PACK_MAX,
): Promise<number> {
  let blobs = 0;
  await forEachLimited(packs, PACKS_AT_ONCE, async (indexed) => {
    const name = `pack ${indexed.id.slice(0, 8)}`;
    try {
      const n = indexed.size > wholePackMax ? await verifyStreaming(repo, indexed, pool, name, problem) : await verifyWhole(repo, indexed, pool, name, problem);
      blobs += n;
    } catch (err) {
      problem(`${name}: ${(err as Error).message}`);
    }
  });
  return blobs;
}

/** A pack read whole: hash, header, then every blob. */
async function verifyWhole(repo: Repository, indexed: PackDescription, pool: BlobPool, name: string, problem: (line: string) => void): Promise<number> {
  const pack = await readPack(repo.backend, repo.sealer, indexed.id);
  if (!sameDescription(pack.description, indexed)) problem(`${name}: its header does not match the index`);
  return verifyBlobs(pack.description.blobs, (b) => pack.bytes.slice(b.offset, b.offset + b.length), pool, name, problem);
}

/**
 * A large (degenerate) pack, read blob by blob in order and then its tail, so memory stays
 * bounded: the bytes are hashed as they come and must add up to the pack's id.
 */
async function verifyStreaming(repo: Repository, indexed: PackDescription, pool: BlobPool, name: string, problem: (line: string) => void): Promise<number> {
  const file = packName(indexed.id);
  const header = await readPackHeader(repo.backend, repo.sealer, indexed.id, indexed.size);
  if (!sameDescription(header, indexed)) problem(`${name}: its header does not match the index`);
  const hash = createHash('sha256');
  const ordered = [...header.blobs].sort((a, b) => a.offset - b.offset);
  let at = 0;
  const count = await verifyBlobs(ordered, async (b) => {
    if (b.offset !== at) throw corrupt(`${name} (blobs do not follow each other)`);
    const bytes = await repo.backend.get(file, { offset: b.offset, length: b.length });
    hash.update(bytes);
    at = b.offset + b.length;
    return bytes;
  }, pool, name, problem, 1);
  hash.update(await repo.backend.get(file, { offset: at, length: indexed.size - at }));
  if (hash.digest('hex') !== indexed.id) problem(`${name}: its contents do not match its id`);
  return count;
}

/** Hands each blob (a copy, transferred) to a worker that verifies it and sends nothing back. */
async function verifyBlobs<B extends { id: BlobId; rawLength: number }>(
  blobs: readonly B[], bytesOf: (b: B) => Uint8Array | Promise<Uint8Array>, pool: BlobPool, name: string,
  problem: (line: string) => void, readers = BLOBS_AT_ONCE,
): Promise<number> {
  let ok = 0;
  const pending = new Set<Promise<void>>();
  const verify = async (b: B, sealed: Uint8Array): Promise<void> => {
    try {
      await pool.verify({ id: b.id, sealed, rawLength: b.rawLength });
      ok++;
    } catch (err) {
      problem(`${name}: blob ${b.id.slice(0, 8)}: ${(err as Error).message}`);
    }
  };
  // Reads happen in order (`readers` at a time feeds the hash in order when it is 1); verifies overlap.
  await forEachLimited(blobs, readers, async (b) => {
    const sealed = await bytesOf(b);
    const p = verify(b, sealed);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    while (pending.size >= BLOBS_AT_ONCE) await Promise.race(pending);
  });
  await Promise.all(pending);
  return ok;
}
