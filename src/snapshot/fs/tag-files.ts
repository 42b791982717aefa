/** Directories marked by a tag file (CACHEDIR.TAG, --exclude-if-present): their other entries are not backed up. */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { joinPath } from '../path.js';

/** A tag file's name and, optionally, the bytes it must begin with to count. */
export interface TagSpec {
  readonly name: Buffer;
  readonly header?: Buffer;
}

/** The Cache Directory Tagging Specification's tag (https://bford.info/cachedir/). */
export const CACHEDIR_TAG: TagSpec = {
  name: Buffer.from('CACHEDIR.TAG'),
  header: Buffer.from('Signature: 8a477f597d28d172789f06886806bc55'),
};

/** `NAME` or `NAME:header` (restic's --exclude-if-present). */
export function parseTagSpec(spec: string): TagSpec {
  const colon = spec.indexOf(':');
  if (colon < 0) return { name: Buffer.from(spec) };
  return { name: Buffer.from(spec.slice(0, colon)), header: Buffer.from(spec.slice(colon + 1)) };
}

/**
 * The children of `dir` to walk: all of them, or, when a spec's tag file is there (and begins with its
 * header), only the tag files (kept like restic keeps them). Never rejects: an unreadable tag does not count.
 */
export async function untagged<T extends { readonly name: Buffer }>(
  dir: Buffer,
  children: readonly T[],
  specs: readonly TagSpec[],
): Promise<readonly T[]> {
  const tags = new Set<T>();
  for (const spec of specs) {
    const tag = children.find((c) => c.name.equals(spec.name));
    if (tag !== undefined && (await startsWith(joinPath(dir, tag.name), spec.header))) tags.add(tag);
  }
  return tags.size === 0 ? children : children.filter((c) => tags.has(c));
}

/** Whether the file at `path` begins with `header` (any entry counts without one). */
async function startsWith(path: Buffer, header: Buffer | undefined): Promise<boolean> {
  if (header === undefined) return true;
  let fh: FileHandle | undefined;
  try {
    fh = await openTag(path);
    if (!(await fh.stat()).isFile()) return false;
    const buf = Buffer.alloc(header.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead === header.length && buf.equals(header);
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Non-blocking (a FIFO by that name must not hang the walk), not through a symlink (one planted as the tag
 * must not have a root backup open a device), and without changing the tag's atime where permitted.
 */
async function openTag(path: Buffer): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
  try {
    return await open(path, flags | constants.O_NOATIME);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    return open(path, flags);
  }
}
