/** Plans a multipart object assembled from byte ranges of another: server-side copies where parts allow. */
import type { ByteRange } from '../core/types.js';
import { GiB, MiB } from '../core/sizes.js';

/** A part copied on the server from one contiguous source range. */
export interface CopyPart {
  readonly kind: 'copy';
  readonly range: ByteRange;
}

/** A part whose bytes are read from the source (ranged GETs) and uploaded. */
export interface UploadPart {
  readonly kind: 'upload';
  readonly pieces: readonly ByteRange[];
  /** Bytes given by the caller, uploaded after the pieces (only in the last part). */
  readonly extra?: Uint8Array;
}

export type PlannedPart = CopyPart | UploadPart;

export interface CopyPlanLimits {
  /** Smallest part S3 accepts, except for the last one (5 MiB). */
  readonly minPart: number;
  /** Largest copied part; at least 2·minPart so a run can always be split into valid parts. */
  readonly maxCopyPart: number;
}

export const S3_PART_LIMITS: CopyPlanLimits = { minPart: 5 * MiB, maxCopyPart: GiB };

export const partLength = (part: PlannedPart): number =>
  part.kind === 'copy' ? part.range.length : part.pieces.reduce((n, r) => n + r.length, 0);

/**
 * Parts whose concatenation is the ranges in order, each but the last at least minPart long.
 * Adjacent ranges are merged; a run of at least minPart is copied, smaller runs are gathered
 * into upload parts of exactly minPart (borrowing from the head of the next run when needed).
 */
export function planCopyParts(ranges: readonly ByteRange[], limits: CopyPlanLimits = S3_PART_LIMITS): PlannedPart[] {
  const parts: PlannedPart[] = [];
  let pending: ByteRange[] = [];
  let pendingLength = 0;
  for (const run of mergeAdjacent(ranges)) {
    let { offset, length } = run;
    if (pendingLength > 0) {
      const take = Math.min(length, limits.minPart - pendingLength);
      pending.push({ offset, length: take });
      pendingLength += take;
      offset += take;
      length -= take;
      if (pendingLength < limits.minPart) continue;
      parts.push({ kind: 'upload', pieces: pending });
      pending = [];
      pendingLength = 0;
    }
    if (length >= limits.minPart) {
      parts.push(...splitCopy({ offset, length }, limits.maxCopyPart));
    } else if (length > 0) {
      pending = [{ offset, length }];
      pendingLength = length;
    }
  }
  if (pendingLength > 0) parts.push({ kind: 'upload', pieces: pending });
  return parts;
}

/** The plan with `tail` appended: merged into a last upload part, else as a part of its own (the last part may be small). */
export function withTail(plan: readonly PlannedPart[], tail: Uint8Array | undefined): PlannedPart[] {
  if (tail === undefined || tail.length === 0) return [...plan];
  const last = plan.at(-1);
  if (last?.kind === 'upload') return [...plan.slice(0, -1), { ...last, extra: tail }];
  return [...plan, { kind: 'upload', pieces: [], extra: tail }];
}

function mergeAdjacent(ranges: readonly ByteRange[]): ByteRange[] {
  const runs: ByteRange[] = [];
  for (const r of ranges) {
    if (r.length === 0) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.offset + last.length === r.offset) {
      runs[runs.length - 1] = { offset: last.offset, length: last.length + r.length };
    } else {
      runs.push({ offset: r.offset, length: r.length });
    }
  }
  return runs;
}

/** Splits one run into equal-ish copy parts of at most maxCopyPart (each still ≥ minPart). */
function splitCopy(run: ByteRange, maxCopyPart: number): CopyPart[] {
  const count = Math.ceil(run.length / maxCopyPart);
  const size = Math.ceil(run.length / count);
  const parts: CopyPart[] = [];
  for (let at = 0; at < run.length; at += size) {
    parts.push({ kind: 'copy', range: { offset: run.offset + at, length: Math.min(size, run.length - at) } });
  }
  return parts;
}
