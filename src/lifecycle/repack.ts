/** Copies live blobs out of packs into new packs of the same kind, sealed bytes as they are (no re-encryption). */
import type { Backend } from '../backend/backend.js';
import { DegeneratePackWriter } from '../cas/degenerate-writer.js';
import { packName } from '../cas/pack-path.js';
import { PackWriter } from '../cas/pack-writer.js';
import { MAX_PACK_BLOBS } from '../cas/pack-header.js';
import type { Sealer } from '../cas/sealer-interface.js';
import { PoolHash, sha256OnPool } from '../cas/pool-hash.js';
import { corrupt } from '../core/errors.js';
import type { PackId } from '../core/ids.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { authBlobs } from '../repo/native-open.js';
import { PackKind, type ByteRange, type PackDescription } from '../core/types.js';
import { describePack, encodePackTail } from '../cas/pack-tail.js';
import { encodedPack, type EncodedPack } from '../cas/index-body.js';
import type { RepackJob } from './prune-plan.js';
import { readAhead } from './read-ahead.js';
import { MiB } from '../core/sizes.js';

export interface RepackTarget {
  readonly backend: Backend;
  readonly sealer: Sealer;
  /** The repository's keys as the addon takes them (native-open.ts): chunks copied out of degenerate packs are authenticated on the libuv pool. */
  readonly keys: Uint8Array;
  /** Target size of new normal and tree packs. */
  readonly packSize: number;
}

type Blob = ReturnType<RepackJob['blobs']>[number];

/**
 * Items fetched ahead of the one in use: reading and verifying (libuv pool) overlap the copying. One is enough;
 * more would only hold more packs in memory.
 */
const AHEAD = 1;
/** Chunk updates of a pack's hash that may wait for the pool: each holds its run of chunks in memory. */
const HASH_BACKLOG = 8;
/**
 * Blobs in one new normal or tree pack at most: a pack being written holds an object per blob, and packs
 * of tiny blobs would otherwise reach MAX_PACK_BLOBS of them before the pack size.
 */
const NEW_PACK_BLOBS = Math.min(MAX_PACK_BLOBS, 16_384);
/** Degenerate packs repacked at once (each reads its runs ahead). */
const DEGENERATE_AT_ONCE = 2;

/**
 * Writes the new packs (durable when this resolves) and describes them, each with its blobs as encoded index
 * records as soon as it is written: a prune may copy millions of blobs.
 */
export async function repack(t: RepackTarget, jobs: readonly RepackJob[]): Promise<EncodedPack[]> {
  // Three independent streams (normal, tree, degenerate packs): one's reads overlap another's writes.
  const degenerate = async (): Promise<EncodedPack[]> => {
    const out: EncodedPack[] = [];
    await forEachLimited(
      jobs.filter((j) => j.pack.kind === PackKind.degenerate),
      DEGENERATE_AT_ONCE,
      async (job) => {
        out.push(encodedPack(await (canCopyRanges(t.backend) ? repackDegenerateByCopy(t, t.backend, job) : repackDegenerate(t, job))));
      },
    );
    return out;
  };
  const settled = await Promise.allSettled([
    repackWhole(
      t,
      jobs.filter((j) => j.pack.kind === PackKind.normal),
      PackKind.normal,
    ),
    repackWhole(
      t,
      jobs.filter((j) => j.pack.kind === PackKind.tree),
      PackKind.tree,
    ),
    degenerate(),
  ]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

/**
 * Authenticates `blobs` (lying in `bytes`, which starts at pack offset `base`) on the libuv pool: their sealed bytes
 * are copied as they are, so their tags are what must hold. Throws CorruptData: nothing damaged is copied.
 */
async function verifyCopied(keys: Uint8Array, pack: PackId, bytes: Uint8Array, blobs: readonly Blob[], base: number): Promise<void> {
  const problems = await authBlobs(
    keys,
    bytes,
    blobs.map((b) => ({ id: b.id, at: b.offset - base, length: b.length })),
  );
  const bad = problems.findIndex((p) => p !== '');
  if (bad >= 0) throw corrupt(`blob ${blobs[bad]!.id} in pack ${pack} (${problems[bad]})`);
}

/** Normal and tree packs: read each whole, check its hash against its id (on the pool), copy its live blobs. */
async function repackWhole(t: RepackTarget, jobs: readonly RepackJob[], kind: PackKind): Promise<EncodedPack[]> {
  const out: EncodedPack[] = [];
  let writer = new PackWriter(t.backend, t.sealer, kind);
  const fetch = async (j: RepackJob): Promise<Uint8Array> => {
    // The indexed size, not the whole object: a file grown or planted under the pack's name is not read whole.
    const bytes = await t.backend.get(packName(j.pack.id), { offset: 0, length: j.pack.size });
    if ((await sha256OnPool(bytes)) !== j.pack.id) throw corrupt(`pack ${j.pack.id} (hash mismatch)`);
    return bytes;
  };
  for await (const [job, bytes] of readAhead(jobs, fetch, AHEAD)) {
    // Views of a pack that is mostly live; copies out of one that is mostly dead, which a view would keep
    // whole in memory until the new pack is stored (so what is held stays under twice what is copied).
    const view = 2 * job.bytes >= bytes.length;
    for (const b of job.blobs()) {
      writer.add(
        b.id,
        b.type,
        view ? bytes.subarray(b.offset, b.offset + b.length) : bytes.slice(b.offset, b.offset + b.length),
        b.rawLength,
      );
      if (writer.size >= t.packSize || writer.count >= NEW_PACK_BLOBS) {
        out.push(encodedPack(await writer.finish()));
        writer = new PackWriter(t.backend, t.sealer, kind);
      }
    }
  }
  if (writer.count > 0) out.push(encodedPack(await writer.finish()));
  return out;
}

/** What a backend that assembles objects from byte ranges on the server offers (S3: UploadPartCopy). */
export interface RangeCopier {
  copyRange(from: string, ranges: readonly ByteRange[], to: string, tail?: Uint8Array): Promise<void>;
}

function canCopyRanges(b: Backend): b is Backend & RangeCopier {
  return typeof (b as Partial<RangeCopier>).copyRange === 'function';
}

/**
 * A degenerate pack on a backend with server-side range copies: the live chunks are read
 * once to authenticate them and to compute the new pack's id (the SHA-256 of its bytes),
 * then the new pack is assembled on the server from those ranges plus a freshly sealed
 * header, so the chunk bytes are never uploaded again.
 */
async function repackDegenerateByCopy(t: RepackTarget, copier: RangeCopier, job: RepackJob): Promise<PackDescription> {
  const hash = new PoolHash();
  const blobs = job.blobs();
  let size = 0;
  for await (const [, sealed] of liveChunks(t, job.pack.id, blobs)) {
    hash.update(sealed);
    size += sealed.length;
    await hash.below(HASH_BACKLOG);
  }
  const header = {
    kind: PackKind.degenerate,
    blobs: blobs.map((b) => ({ id: b.id, type: b.type, length: b.length, rawLength: b.rawLength })),
  };
  const tail = encodePackTail(t.sealer, header);
  const id = (await hash.update(tail).digest()) as PackId;
  await copier.copyRange(
    packName(job.pack.id),
    blobs.map((b) => ({ offset: b.offset, length: b.length })),
    packName(id),
    tail,
  );
  return describePack(id, size + tail.length, tail.length, header);
}

/**
 * A degenerate pack: only its live chunks, each fetched by ranged read and authenticated
 * (its seal opens under its id), streamed into a new degenerate pack in file order.
 */
async function repackDegenerate(t: RepackTarget, job: RepackJob): Promise<PackDescription> {
  const writer = new DegeneratePackWriter(t.backend, t.sealer);
  try {
    for await (const [b, sealed] of liveChunks(t, job.pack.id, job.blobs())) {
      await writer.add(b.id, b.type, sealed, b.rawLength);
    }
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

const RUN_BYTES = 16 * MiB;

/**
 * A degenerate pack's live chunks in the given order, each verified, read in runs of neighbouring chunks
 * (one ranged read per run of up to 16 MiB), the next runs read and verified while this one is used.
 */
async function* liveChunks(t: RepackTarget, pack: PackId, blobs: readonly Blob[]): AsyncGenerator<[Blob, Uint8Array]> {
  const runs: Blob[][] = [];
  for (const b of blobs) {
    const cur = runs.at(-1);
    const last = cur?.at(-1);
    if (cur && last && last.offset + last.length === b.offset && b.offset + b.length - cur[0]!.offset <= RUN_BYTES) cur.push(b);
    else runs.push([b]);
  }
  const range = (run: Blob[]): ByteRange => ({ offset: run[0]!.offset, length: run.at(-1)!.offset + run.at(-1)!.length - run[0]!.offset });
  const fetch = async (run: Blob[]): Promise<Uint8Array> => {
    const bytes = await t.backend.get(packName(pack), range(run));
    await verifyCopied(t.keys, pack, bytes, run, run[0]!.offset);
    return bytes;
  };
  for await (const [run, bytes] of readAhead(runs, fetch, AHEAD)) {
    const start = run[0]!.offset;
    for (const b of run) yield [b, bytes.subarray(b.offset - start, b.offset - start + b.length)];
  }
}
