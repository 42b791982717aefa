/** Checks of one pack's description on its own: blobs in bounds, no overlaps, no duplicates, types fit the kind. */
import { blobTypeOf } from '../cas/pack-header.js';
import type { PackDescription } from '../core/types.js';
import type { BlobTable } from './blob-table.js';
import type { IndexedPack } from './index-view.js';
import { shortId } from '../core/ids.js';

/** The smallest tail: a sealed empty header (nonce, frame byte, 6 header bytes, tag) and its length field. */
const MIN_TAIL = 24 + 1 + 6 + 16 + 4;

/** One line per problem, empty when the layout is sound. */
export function packLayoutProblems(p: PackDescription): string[] {
  const problems: string[] = [];
  const name = `pack ${shortId(p.id)}`;
  const seen = new Set<string>();
  const sorted = [...p.blobs].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const b of sorted) {
    if (seen.has(b.id)) problems.push(`${name}: blob ${shortId(b.id)} stored twice`);
    seen.add(b.id);
    if (b.offset < end) problems.push(`${name}: blob ${shortId(b.id)} overlaps the blob before it`);
    if (b.type !== blobTypeOf(p.kind)) problems.push(`${name}: blob ${shortId(b.id)} has type ${b.type} in a pack of kind ${p.kind}`);
    end = Math.max(end, b.offset + b.length);
  }
  if (end + MIN_TAIL > p.size) problems.push(intoHeader(p, end));
  return problems;
}

const intoHeader = (p: { id: string; size: number }, end: number): string =>
  `pack ${shortId(p.id)}: blobs run into the pack header (end ${end}, size ${p.size})`;

/**
 * `packLayoutProblems` of a pack of the index view. A pack whose blobs follow one another, each of the
 * kind's type and stored nowhere else, is read off its records; any other is described and checked in full.
 */
export function indexedLayoutProblems(blobs: BlobTable, p: IndexedPack): string[] {
  const type = blobTypeOf(p.kind);
  let end = 0;
  for (let r = p.first; r < p.first + p.count; r++) {
    const offset = blobs.offsetOf(r);
    if (offset < end || blobs.isDuplicate(r) || blobs.typeOf(r) !== type) return packLayoutProblems(p.describe());
    end = offset + blobs.lengthOf(r);
  }
  return end + MIN_TAIL > p.size ? [intoHeader(p, end)] : [];
}

/** Whether two descriptions of one pack (from two index files, or index and header) agree. */
export function sameDescription(a: PackDescription, b: PackDescription): boolean {
  if (a.kind !== b.kind || a.size !== b.size || a.blobs.length !== b.blobs.length) return false;
  const key = (x: PackDescription['blobs'][number]): string => `${x.id}:${x.type}:${x.offset}:${x.length}:${x.rawLength}`;
  const bs = new Set(b.blobs.map(key));
  return a.blobs.every((x) => bs.has(key(x)));
}
