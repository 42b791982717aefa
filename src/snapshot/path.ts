/** Paths of snapshot entries and of files being walked: '/'-joined bytes, names never decoded on the way. */

const SLASH_BYTE = 0x2f;

/** `name` below `parent`: '/name' below the root ('/' or empty), else 'parent/name'. */
export function joinPath(parent: Buffer, name: Buffer): Buffer {
  // Not Buffer.concat: a backup joins one path per entry, and the array and checks cost more than the copy.
  const at = parent.length === 0 || (parent.length === 1 && parent[0] === SLASH_BYTE) ? 0 : parent.length;
  const out = Buffer.allocUnsafe(at + 1 + name.length);
  if (at > 0) out.set(parent, 0);
  out[at] = SLASH_BYTE;
  out.set(name, at + 1);
  return out;
}

/** joinPath as text, for messages and selections (names decoded as UTF-8). */
export const joinPathText = (parent: string, name: Buffer): string => `${parent === '/' ? '' : parent}/${name.toString('utf8')}`;

/** Whether `path` is one of `paths` (backed-up paths, absolute) or lies below one of them. */
export function underAny(paths: readonly string[], path: string): boolean {
  return paths.some((p) => {
    const base = p.replace(/\/+$/, '');
    return base === '' || path === base || path.startsWith(`${base}/`);
  });
}
