/** check --read-data: read whole packs, check their hash and header, open and re-hash every blob. */
import type { Repository } from '../repo/repository.js';
import { packName } from '../cas/pack-path.js';
import { PoolHash } from '../cas/pool-hash.js';
import { describePackBytes, readPackHeader, verifyPack } from '../cas/pack-reader.js';
import { corrupt, invalidArgument } from '../core/errors.js';
import { shortId, type PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { verifyBlobs } from '../repo/native-open.js';
import { sameDescription } from './pack-layout.js';
import { MiB } from '../core/sizes.js';

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
  return shuffled
    .slice(0, want)
    .map((x) => x.id)
    .sort();
}

const PACKS_AT_ONCE = 3;
/** A large pack is read and verified in runs of blobs of about this size. */
const RUN_BYTES = 16 * MiB;
/** Runs of one large pack being verified while the next is read. */
const RUNS_AT_ONCE = 2;
/** Packs larger than this are verified piece by piece instead of read whole. */
const WHOLE_PACK_MAX = 64 * MiB;

/** A pack to read: its id and size, and its description as the index gives it, asked for when its turn comes. */
export interface PackToRead {
  readonly id: PackId;
  readonly size: number;
  describe(): PackDescription;
}

/**
 * Reads the packs; reports one line per problem. Returns the number of blobs verified. `keys` are the
 * repository's keys as the addon takes them (native-open.ts): blobs are opened on the libuv pool.
 */
export async function readPacks(
  repo: Repository,
  packs: readonly PackToRead[],
  keys: Uint8Array,
  problem: (line: string) => void,
  wholePackMax = WHOLE_PACK_MAX,
): Promise<number> {
  let blobs = 0;
  // Whole packs are read into buffers kept for the next pack (a new buffer per pack made V8 run full GCs).
  const spare: Uint8Array[] = [];
  const verifyOne = async (pack: PackToRead, streaming: boolean): Promise<void> => {
    const name = `pack ${shortId(pack.id)}`;
    let buffer = streaming ? undefined : spare.pop();
    if (!streaming && (buffer === undefined || buffer.length < pack.size)) buffer = new Uint8Array(Math.max(pack.size, RUN_BYTES));
    try {
      const indexed = pack.describe();
      // Not `blobs += await …`: that reads `blobs` before the await, and another lane's count in between is lost.
      const verified = streaming
        ? await verifyStreaming(repo, indexed, keys, name, problem)
        : await verifyWhole(repo, indexed, keys, name, problem, buffer);
      blobs += verified;
    } catch (err) {
      problem(`${name}: ${(err as Error).message}`);
    } finally {
      if (buffer) spare.push(buffer);
    }
  };
  // Large packs go one at a time in a lane of their own (their SHA-256 is computed in order, on the
  // pool as their runs come), beside PACKS_AT_ONCE - 1 lanes of whole packs.
  const large = packs.filter((p) => p.size > wholePackMax);
  const whole = packs.filter((p) => p.size <= wholePackMax);
  await Promise.all([
    forEachLimited(large, 1, (p) => verifyOne(p, true)),
    forEachLimited(whole, large.length > 0 ? PACKS_AT_ONCE - 1 : PACKS_AT_ONCE, (p) => verifyOne(p, false)),
  ]);
  return blobs;
}

type Blob = PackDescription['blobs'][number];

/** A pack read whole (into `into` where the backend can); one job of the pool checks its hash and every blob. */
async function verifyWhole(
  repo: Repository,
  indexed: PackDescription,
  keys: Uint8Array,
  name: string,
  problem: (line: string) => void,
  into?: Uint8Array,
): Promise<number> {
  const bytes = await repo.backend.get(packName(indexed.id), { offset: 0, length: indexed.size }, into);
  let description: PackDescription;
  try {
    description = describePackBytes(repo.sealer, indexed.id, bytes);
  } catch (err) {
    verifyPack(bytes, indexed.id);
    throw err;
  }
  if (!sameDescription(description, indexed)) problem(`${name}: its header does not match the index`);
  return verifyRun(bytes, description.blobs, 0, keys, name, problem, indexed.id);
}

/**
 * A large (degenerate) pack, read in runs of whole blobs in order and then its tail, so memory
 * stays bounded: the bytes are hashed as they come (on the pool) and must add up to the pack's id.
 */
async function verifyStreaming(
  repo: Repository,
  indexed: PackDescription,
  keys: Uint8Array,
  name: string,
  problem: (line: string) => void,
): Promise<number> {
  const file = packName(indexed.id);
  const header = await readPackHeader(repo.backend, repo.sealer, indexed.id, indexed.size);
  if (!sameDescription(header, indexed)) problem(`${name}: its header does not match the index`);
  const hash = new PoolHash();
  let at = 0;
  let ok = 0;
  const pending = new Set<Promise<void>>();
  // A run is read into the buffer of the run RUNS_AT_ONCE + 1 before it, whose verification has ended.
  const ring: Uint8Array[] = [];
  let k = 0;
  for (const run of runsOf([...header.blobs].sort((a, b) => a.offset - b.offset))) {
    if (run[0]!.offset !== at) throw corrupt(`${name} (blobs do not follow each other)`);
    const end = run.at(-1)!.offset + run.at(-1)!.length;
    const slot = k++ % (RUNS_AT_ONCE + 1);
    // The run that last used this slot is hashed too (every run but the last RUNS_AT_ONCE is).
    await hash.below(RUNS_AT_ONCE);
    if ((ring[slot]?.length ?? 0) < end - at) ring[slot] = new Uint8Array(Math.max(end - at, RUN_BYTES));
    const bytes = await repo.backend.get(file, { offset: at, length: end - at }, ring[slot]);
    hash.update(bytes);
    const p = verifyRun(bytes, run, at, keys, name, problem).then((n) => {
      ok += n;
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
    while (pending.size >= RUNS_AT_ONCE) await Promise.race(pending);
    at = end;
  }
  await Promise.all(pending);
  hash.update(await repo.backend.get(file, { offset: at, length: indexed.size - at }));
  if ((await hash.digest()) !== indexed.id) problem(`${name}: hash mismatch: its contents do not match its id`);
  return ok;
}

/** Consecutive blobs (sorted by offset, each following the last) in runs of about RUN_BYTES. */
function runsOf(blobs: readonly Blob[]): Blob[][] {
  const runs: Blob[][] = [];
  let bytes = 0;
  for (const b of blobs) {
    const cur = runs.at(-1);
    const follows = cur !== undefined && cur.at(-1)!.offset + cur.at(-1)!.length === b.offset;
    if (cur && follows && bytes + b.length <= RUN_BYTES) {
      cur.push(b);
      bytes += b.length;
    } else {
      runs.push([b]);
      bytes = b.length;
    }
  }
  return runs;
}

/**
 * Blobs lying in `bytes` (which starts at pack offset `base`), verified by one job of the pool, with the
 * hash of the whole pack when `packId` is given; returns how many passed.
 */
async function verifyRun(
  bytes: Uint8Array,
  blobs: readonly Blob[],
  base: number,
  keys: Uint8Array,
  name: string,
  problem: (line: string) => void,
  packId?: PackId,
): Promise<number> {
  const spans = blobs.map((b) => ({ id: b.id, at: b.offset - base, length: b.length, rawLength: b.rawLength }));
  const { problems, sha256 } = await verifyBlobs(keys, bytes, spans, packId !== undefined);
  if (packId !== undefined && sha256 !== packId) problem(`${name}: hash mismatch: its contents do not match its id`);
  let bad = 0;
  problems.forEach((message, i) => {
    if (message === '') return;
    bad++;
    problem(`${name}: blob ${shortId(blobs[i]!.id)}: ${message}`);
  });
  return blobs.length - bad;
}
