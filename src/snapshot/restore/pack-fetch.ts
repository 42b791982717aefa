/** Reading the needed blobs of one pack with as few ranged GETs as possible, each byte at most once. */
import type { Backend } from '../../backend/backend.js';
import { packName } from '../../cas/pack-path.js';
import type { BlobId } from '../../core/ids.js';
import type { BlobLocation } from '../../core/types.js';
import { MiB } from '../../core/sizes.js';

export const MAX_SPAN = 16 * MiB;
const MAX_GAP = MiB;

export interface Span {
  readonly offset: number;
  readonly length: number;
  readonly blobs: { id: BlobId; loc: BlobLocation }[];
}

/** Blobs sorted by offset, merged into spans (gaps under 1 MiB read through, spans up to MAX_SPAN). */
export function spansOf(blobs: Iterable<[BlobId, BlobLocation]>): Span[] {
  const sorted = [...blobs].sort((a, b) => a[1].offset - b[1].offset);
  const spans: { offset: number; end: number; blobs: { id: BlobId; loc: BlobLocation }[] }[] = [];
  for (const [id, loc] of sorted) {
    const cur = spans.at(-1);
    const end = loc.offset + loc.length;
    if (cur && loc.offset - cur.end <= MAX_GAP && end - cur.offset <= MAX_SPAN) {
      cur.end = Math.max(cur.end, end);
      cur.blobs.push({ id, loc });
    } else {
      spans.push({ offset: loc.offset, end, blobs: [{ id, loc }] });
    }
  }
  return spans.map((s) => ({ offset: s.offset, length: s.end - s.offset, blobs: s.blobs }));
}

/** Fetch one span (into `into` where the backend can): its blobs lie at `loc.offset - span.offset` in the bytes returned. */
export async function fetchSpan(backend: Backend, span: Span, into?: Uint8Array): Promise<Uint8Array> {
  const first = span.blobs[0]!;
  return backend.get(packName(first.loc.pack), { offset: span.offset, length: span.length }, into);
}
