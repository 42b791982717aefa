/** Paths of snapshot entries and of files being walked: '/'-joined bytes, names never decoded on the way. */

const SLASH = Buffer.from('/');

/** `name` below `parent`: '/name' below the root ('/' or empty), else 'parent/name'. */
export function joinPath(parent: Buffer, name: Buffer): Buffer {
  return parent.length === 0 || parent.equals(SLASH) ? Buffer.concat([SLASH, name]) : Buffer.concat([parent, SLASH, name]);
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
