/** check --read-data: read whole packs, check their hash and header, open and re-hash every blob. */
import type { Repository } from '../repo/repository.js';
import { readPack } from '../cas/pack-reader.js';
import { invalidArgument } from '../core/errors.js';
import type { PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import type { BlobPool } from '../repo/blob-pool.js';
import { forEachLimited } from './index-view.js';
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

/** Reads the packs; reports one line per problem. Returns the number of blobs verified. */
export async function readPacks(
  repo: Repository, packs: readonly PackDescription[], pool: BlobPool, problem: (line: string) => void,
): Promise<number> {
  let blobs = 0;
  await forEachLimited(packs, PACKS_AT_ONCE, async (indexed) => {
    const name = `pack ${indexed.id.slice(0, 8)}`;
    let pack: Awaited<ReturnType<typeof readPack>>;
    try {
      pack = await readPack(repo.backend, repo.sealer, indexed.id);
    } catch (err) {
      problem(`${name}: ${(err as Error).message}`);
      return;
    }
    if (!sameDescription(pack.description, indexed)) problem(`${name}: its header does not match the index`);
    await Promise.all(pack.description.blobs.map(async (b) => {
      try {
        await pool.open({ id: b.id, sealed: pack.bytes.slice(b.offset, b.offset + b.length), rawLength: b.rawLength });
        blobs++;
      } catch (err) {
        problem(`${name}: blob ${b.id.slice(0, 8)}: ${(err as Error).message}`);
      }
    }));
  });
  return blobs;
}
