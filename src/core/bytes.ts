/** Byte-string helpers for the hot paths that compare names. */

/**
 * Buffer.compare's order (byte by byte, then the shorter first) as a JS loop: entry names are a few
 * bytes long, and the native call costs several times the loop for them.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return compareRanges(a, 0, a.length, b, 0, b.length);
}

/** compareBytes of `a[aFrom, aTo)` and `b[bFrom, bTo)`: names compared where they lie in two tree blobs. */
export function compareRanges(a: Uint8Array, aFrom: number, aTo: number, b: Uint8Array, bFrom: number, bTo: number): number {
  const la = aTo - aFrom;
  const lb = bTo - bFrom;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = (a[aFrom + i] as number) - (b[bFrom + i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/**
 * Where `key` is among `items` sorted strictly by `nameOf` (compareBytes order): its index, or, when
 * absent, `-(insertion point) - 1`.
 */
export function searchByName<T>(items: readonly T[], key: Uint8Array, nameOf: (item: T) => Uint8Array): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(nameOf(items[mid] as T), key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}
