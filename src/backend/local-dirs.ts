/**
 * The directories of a local repository, each opened once and kept open: the root as the user named it (it
 * may be a link: the user's choice), every directory beneath it one name at a time inside its open parent,
 * with O_NOFOLLOW, so nothing beneath the root is ever reached through a link.
 */
import { close, constants, fsync, open } from 'node:fs';
import { lstat, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { RozenError } from '../core/errors.js';
import { errnoCode, foreignEntry, isMissing, mapFsError } from './fs-error.js';

const openFd = promisify(open);
const closeFd = promisify(close);
const fsyncFd = promisify(fsync);
const DIR_MODE = 0o700;
const ROOT_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
const DIR_FLAGS = ROOT_FLAGS | constants.O_NOFOLLOW;

/** The open directory `fd` itself: the kernel resolves this magic link to the open file, never by its path. */
export const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

/** `name` inside the open directory `fd`: only `name` is looked up, as openat(2) would (Node has no openat). */
export const beneath = (fd: number, name: string): string => `${fdPath(fd)}/${name}`;

export class RepoDirs {
  readonly root: string;
  readonly #fds = new Map<string, number>();

  constructor(root: string) {
    this.root = root;
  }

  /** The repository path of `rel` ('' is the root), for messages. */
  path(rel: string): string {
    return rel === '' ? this.root : join(this.root, ...rel.split('/'));
  }

  /** The open directory `rel` ('' is the root), or undefined when missing; `create` makes it and its parents. */
  async fd(rel: string, create: boolean): Promise<number | undefined> {
    const known = this.#fds.get(rel);
    if (known !== undefined) return known;
    const fd = rel === '' ? await openRoot(this.root, create) : await this.#openChild(rel, create);
    if (fd === undefined) return undefined;
    const raced = this.#fds.get(rel);
    if (raced !== undefined) {
      await closeFd(fd);
      return raced;
    }
    this.#fds.set(rel, fd);
    return fd;
  }

  async close(): Promise<void> {
    const fds = [...this.#fds.values()];
    this.#fds.clear();
    await Promise.all(fds.map(closeDir));
  }

  async #openChild(rel: string, create: boolean): Promise<number | undefined> {
    const slash = rel.lastIndexOf('/');
    const parentRel = slash < 0 ? '' : rel.slice(0, slash);
    const parent = await this.fd(parentRel, create);
    if (parent === undefined) return undefined;
    return openDirAt(parent, rel.slice(slash + 1), this.path(rel), create);
  }
}

export const closeDir = (fd: number): Promise<void> => closeFd(fd);

/** Opens directory `name` inside the open directory `parent`; undefined when missing, unless `create` makes it. */
export async function openDirAt(parent: number, name: string, path: string, create: boolean): Promise<number | undefined> {
  const at = beneath(parent, name);
  try {
    return await openFd(at, DIR_FLAGS);
  } catch (err) {
    if (!create || errnoCode(err) !== 'ENOENT') return notADir(err, at, path, create);
  }
  await mkdir(at, DIR_MODE).catch((err: unknown) => {
    if (errnoCode(err) !== 'EEXIST') throw mapFsError(err, 'create directory', path);
  });
  await syncDir(parent, dirname(path));
  return openFd(at, DIR_FLAGS).catch((err: unknown) => notADir(err, at, path, true));
}

/** Why a directory did not open: missing to a reader (so is a plain file in its place); a link or special file is an error naming it. */
async function notADir(err: unknown, at: string, path: string, create: boolean): Promise<undefined> {
  if (!create && errnoCode(err) === 'ENOENT') return undefined;
  const s = await lstat(at).catch(() => undefined);
  if (s !== undefined && !s.isFile() && !s.isDirectory()) throw foreignEntry(path, s);
  if (!create && isMissing(err)) return undefined;
  if (s?.isFile()) throw new RozenError('BackendError', `cannot create directory ${path}: a file of that name is in the way`);
  throw mapFsError(err, create ? 'create directory' : 'open', path);
}

/** After a failed read of an object: a link or special file there is an error naming it, else the mapped error. */
export async function readError(err: unknown, at: string, path: string): Promise<never> {
  if (err instanceof RozenError) throw err;
  const s = await lstat(at).catch(() => undefined);
  if (s !== undefined && !s.isFile() && !s.isDirectory()) throw foreignEntry(path, s);
  throw mapFsError(err, 'read', path);
}

/** Opens the root (following a link there: the user named it); mkdir -p first with `create`. */
async function openRoot(root: string, create: boolean): Promise<number | undefined> {
  try {
    return await checkProc(await openFd(root, ROOT_FLAGS), root);
  } catch (err) {
    if (err instanceof RozenError) throw err;
    if (!create && isMissing(err)) return undefined;
    if (!create || errnoCode(err) !== 'ENOENT') throw mapFsError(err, 'open', root);
  }
  await makeRoot(root);
  return checkProc(await openFd(root, ROOT_FLAGS).catch((err: unknown) => Promise.reject(mapFsError(err, 'open', root))), root);
}

/** Every path beneath the root goes through /proc/self/fd: refuse at once, clearly, where /proc is not mounted. */
async function checkProc(fd: number, root: string): Promise<number> {
  try {
    await stat(fdPath(fd));
    return fd;
  } catch (cause) {
    await closeFd(fd);
    throw new RozenError(
      'Unsupported',
      `cannot open ${root}: the local backend needs /proc mounted (it opens paths through /proc/self/fd)`,
      { cause },
    );
  }
}

/** mkdir -p, then fsync the parent of every directory it created so the new entries survive a crash. */
async function makeRoot(dir: string): Promise<void> {
  let first: string | undefined;
  try {
    first = await mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw mapFsError(err, 'create directory', dir);
  }
  if (first === undefined) return;
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    const fd = await openFd(dirname(d), ROOT_FLAGS).catch((err: unknown) => Promise.reject(mapFsError(err, 'sync directory', dirname(d))));
    await syncDir(fd, dirname(d)).finally(() => closeFd(fd));
    if (d === first) break;
  }
}

/** fsync of an open directory, so the entries just made or removed in it survive a crash. */
export async function syncDir(fd: number, path: string): Promise<void> {
  try {
    await fsyncFd(fd);
  } catch (err) {
    // Some filesystems cannot fsync a directory; the change itself still happened.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'ENOTSUP') throw mapFsError(err, 'sync directory', path);
  }
}
