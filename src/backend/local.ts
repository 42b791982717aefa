/**
 * Backend over a local directory: atomic puts (temp file, fsync, rename, fsync directory) and ranged reads.
 * Nothing beneath the root is reached through a link: each file is opened, made, renamed or removed by its
 * one name inside its directory, held open (local-dirs.ts); a link or special file met is an error naming it.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, opendir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { notFound } from '../core/errors.js';
import type { ByteRange } from '../core/types.js';
import type { Backend, ObjectInfo, PutSource } from './backend.js';
import { isPieces } from './collect.js';
import { errnoCode, foreignEntry, isMissing, mapFsError } from './fs-error.js';
import { RepoDirs, beneath, closeDir, fdPath, openDirAt, readError, syncDir } from './local-dirs.js';
import { TEMP_PREFIX, checkName, checkRange, shortRead } from './names.js';

const FILE_MODE = 0o600;
/** Pieces per writev call (Linux's IOV_MAX). */
const WRITEV_PIECES = 1024;
/** O_NONBLOCK: a FIFO planted where an object should be opens at once instead of hanging the read. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** An object's place: its directory (open), the path to open it by, and its repository path for messages. */
interface Place {
  readonly dir: number;
  readonly at: string;
  readonly path: string;
}

export class LocalBackend implements Backend {
  readonly location: string;
  readonly #dirs: RepoDirs;

  constructor(root: string) {
    this.location = resolve(root);
    this.#dirs = new RepoDirs(this.location);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    if (base !== '') checkName(base);
    const dir = await this.#dirs.fd(base, false);
    if (dir !== undefined) yield* this.#walk(dir, base, prefix);
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    const p = await this.#locate(name, false);
    if (p === undefined) return undefined;
    try {
      return objectInfo(name, await lstat(p.at), p.path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw mapFsError(err, 'stat', p.path);
    }
  }

  async get(name: string, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    if (range !== undefined) checkRange(range);
    const p = await this.#locate(name, false);
    if (p === undefined) throw notFound(this.#dirs.path(name));
    const fh = await open(p.at, READ_FLAGS).catch((err: unknown) => readError(err, p.at, p.path));
    try {
      return await (range === undefined ? readWhole(fh, name, p.path) : readRange(fh, name, range, into));
    } catch (err) {
      return await readError(err, p.at, p.path);
    } finally {
      await fh.close();
    }
  }

  async put(name: string, source: PutSource): Promise<void> {
    const p = await this.#place(name);
    const tmp = beneath(p.dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    try {
      await writeSynced(tmp, source);
      await rename(tmp, p.at);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw errnoCode(err) === undefined ? err : mapFsError(err, 'write', p.path);
    }
    await syncDir(p.dir, dirname(p.path));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = await this.#locate(from, false);
    if (src === undefined) throw notFound(this.#dirs.path(from));
    const dst = await this.#place(to);
    await rename(src.at, dst.at).catch((err: unknown) => Promise.reject(mapFsError(err, 'rename', src.path)));
    await syncDir(dst.dir, dirname(dst.path));
    if (src.dir !== dst.dir) await syncDir(src.dir, dirname(src.path));
  }

  async delete(name: string): Promise<void> {
    await this.deleteMany([name]);
  }

  /** Unlinks them all (a link itself, never what it points to), then syncs each directory touched once. */
  async deleteMany(names: readonly string[]): Promise<void> {
    const touched = new Map<number, string>();
    for (const name of names) {
      const p = await this.#locate(name, false);
      if (p === undefined) continue;
      try {
        await unlink(p.at);
        touched.set(p.dir, dirname(p.path));
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw mapFsError(err, 'delete', p.path);
      }
    }
    for (const [dir, path] of touched) await syncDir(dir, path);
  }

  /** Closes the directories held open; call it once every operation has settled. */
  async close(): Promise<void> {
    await this.#dirs.close();
  }

  /** Where `name` is, or undefined when its directory does not exist (made first with `create`). */
  async #locate(name: string, create: boolean): Promise<Place | undefined> {
    const slash = checkName(name).lastIndexOf('/');
    const dir = await this.#dirs.fd(slash < 0 ? '' : name.slice(0, slash), create);
    return dir === undefined ? undefined : { dir, at: beneath(dir, name.slice(slash + 1)), path: this.#dirs.path(name) };
  }

  async #place(name: string): Promise<Place> {
    const p = await this.#locate(name, true);
    if (p === undefined) throw notFound(this.#dirs.path(name));
    return p;
  }

  /** The objects under the open directory `dir` (named `rel`) whose names start with `prefix`. */
  async *#walk(dir: number, rel: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const entries = await opendir(fdPath(dir)).catch((err: unknown) => Promise.reject(mapFsError(err, 'list', this.#dirs.path(rel))));
    for await (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (!overlaps(`${name}/`, prefix)) continue;
      const s = entry.isDirectory() ? undefined : await lstat(beneath(dir, entry.name)).catch(skipMissing);
      if (s === null) continue;
      if (s === undefined || s.isDirectory()) yield* this.#walkChild(dir, entry.name, name, prefix);
      else if (name.startsWith(prefix)) {
        const info = objectInfo(name, s, this.#dirs.path(name));
        if (info !== undefined) yield info;
      }
    }
  }

  async *#walkChild(parent: number, entry: string, rel: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const dir = await openDirAt(parent, entry, this.#dirs.path(rel), false);
    if (dir === undefined) return;
    try {
      yield* this.#walk(dir, rel, prefix);
    } finally {
      await closeDir(dir);
    }
  }
}

/** An entry gone between listing and lstat is skipped (null); other errors propagate. */
const skipMissing = (err: unknown): null => {
  if (isMissing(err)) return null;
  throw err;
};

/** A regular file is an object, a directory is none; anything else is an error naming it. */
function objectInfo(name: string, s: Stats, path: string): ObjectInfo | undefined {
  if (s.isFile()) return { name, size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
  if (s.isDirectory()) return undefined;
  throw foreignEntry(path, s);
}

/** A directory whose names start with `dirPrefix` can hold names starting with `prefix`. */
const overlaps = (dirPrefix: string, prefix: string): boolean => dirPrefix.startsWith(prefix) || prefix.startsWith(dirPrefix);

/** The whole of a regular file; a directory is not found, anything else an error naming it. */
async function readWhole(fh: FileHandle, name: string, path: string): Promise<Uint8Array> {
  const s = await fh.stat();
  if (s.isDirectory()) throw notFound(path);
  if (!s.isFile()) throw foreignEntry(path, s);
  return readRange(fh, name, { offset: 0, length: s.size });
}

/** A Uint8Array not zero-filled first: every byte of it is read into, or a short read throws and it goes unseen. */
function unfilled(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

async function readRange(fh: FileHandle, name: string, range: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
  if (range.length === 0 && (await fh.stat()).size < range.offset) throw shortRead(name, range, 0);
  const buf = into && into.length >= range.length ? into.subarray(0, range.length) : unfilled(range.length);
  let got = 0;
  while (got < range.length) {
    const { bytesRead } = await fh.read(buf, got, range.length - got, range.offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  if (got < range.length) throw shortRead(name, range, got);
  return buf;
}

async function writeSynced(path: string, source: PutSource): Promise<void> {
  const fh = await open(path, 'wx', FILE_MODE);
  try {
    if (source instanceof Uint8Array) await writeAll(fh, source);
    else if (isPieces(source)) await writePieces(fh, source);
    else for await (const chunk of source) await writeAll(fh, chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Pieces of at most IOV_MAX (1024) at a time are written with one writev; a short write finishes piece by piece. */
async function writePieces(fh: FileHandle, pieces: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < pieces.length; i += WRITEV_PIECES) {
    const group = pieces.slice(i, i + WRITEV_PIECES);
    let left = (await fh.writev(group)).bytesWritten;
    for (const piece of group) {
      if (left >= piece.byteLength) left -= piece.byteLength;
      else {
        await writeAll(fh, piece.subarray(left));
        left = 0;
      }
    }
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}
