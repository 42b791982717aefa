/** Backend over a local directory: atomic puts (temp file, fsync, rename, fsync directory) and ranged reads. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, opendir, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { Dir } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ByteRange } from '../core/types.js';
import type { Backend, ObjectInfo, PutSource } from './backend.js';
import { isPieces } from './collect.js';
import { errnoCode, isMissing, mapFsError } from './fs-error.js';
import { TEMP_PREFIX, checkName, checkRange, shortRead } from './names.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Pieces per writev call (Linux's IOV_MAX). */
const WRITEV_PIECES = 1024;

export class LocalBackend implements Backend {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    if (base !== '') checkName(base);
    yield* this.walk(base, prefix);
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    const path = this.path(name);
    try {
      const s = await stat(path);
      return s.isFile() ? { name, size: s.size, mtimeMs: Math.floor(s.mtimeMs) } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw mapFsError(err, 'stat', path);
    }
  }

  async get(name: string, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    const path = this.path(name);
    if (range === undefined) {
      const buf = await readFile(path).catch((err: unknown) => Promise.reject(mapFsError(err, 'read', path)));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    checkRange(range);
    const fh = await open(path, 'r').catch((err: unknown) => Promise.reject(mapFsError(err, 'read', path)));
    try {
      return await readRange(fh, name, range, into);
    } catch (err) {
      throw mapFsError(err, 'read', path);
    } finally {
      await fh.close();
    }
  }

  async put(name: string, source: PutSource): Promise<void> {
    const path = this.path(name);
    const dir = dirname(path);
    await this.ensureDir(dir);
    const tmp = join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    try {
      await writeSynced(tmp, source);
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw errnoCode(err) === undefined ? err : mapFsError(err, 'write', path);
    }
    await fsyncDir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.path(from);
    const dst = this.path(to);
    await this.ensureDir(dirname(dst));
    await rename(src, dst).catch((err: unknown) => Promise.reject(mapFsError(err, 'rename', src)));
    await fsyncDir(dirname(dst));
    if (dirname(src) !== dirname(dst)) await fsyncDir(dirname(src));
  }

  async delete(name: string): Promise<void> {
    await this.deleteMany([name]);
  }

  /** Unlinks them all, then syncs each directory touched once (prune deletes dozens of packs). */
  async deleteMany(names: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const name of names) {
      const path = this.path(name);
      try {
        await unlink(path);
        dirs.add(dirname(path));
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw mapFsError(err, 'delete', path);
      }
    }
    for (const dir of dirs) await fsyncDir(dir);
  }

  async close(): Promise<void> {}

  private path(name: string): string {
    return join(this.root, ...checkName(name).split('/'));
  }

  private async *walk(rel: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const dirPath = rel === '' ? this.root : this.path(rel);
    let dir: Dir;
    try {
      dir = await opendir(dirPath);
    } catch (err) {
      if (isMissing(err)) return;
      throw mapFsError(err, 'list', dirPath);
    }
    for await (const entry of dir) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory() && overlaps(`${name}/`, prefix)) {
        yield* this.walk(name, prefix);
      } else if (entry.isFile() && name.startsWith(prefix)) {
        const info = await this.stat(name);
        if (info !== undefined) yield info;
      }
    }
  }

  /** mkdir -p, then fsync the parent of every directory it created so the new entries survive a crash. */
  private async ensureDir(dir: string): Promise<void> {
    let first: string | undefined;
    try {
      first = await mkdir(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw mapFsError(err, 'create directory', dir);
    }
    if (first === undefined) return;
    for (let d = dir; d !== dirname(d); d = dirname(d)) {
      await fsyncDir(dirname(d));
      if (d === first) break;
    }
  }
}

/** A directory whose names start with `dirPrefix` can hold names starting with `prefix`. */
const overlaps = (dirPrefix: string, prefix: string): boolean =>
  dirPrefix.startsWith(prefix) || prefix.startsWith(dirPrefix);

async function readRange(fh: FileHandle, name: string, range: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
  if (range.length === 0 && (await fh.stat()).size < range.offset) throw shortRead(name, range, 0);
  const buf = into && into.length >= range.length ? into.subarray(0, range.length) : new Uint8Array(range.length);
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

async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some filesystems cannot fsync a directory; the rename itself still happened.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'ENOTSUP') throw mapFsError(err, 'sync directory', dir);
  } finally {
    await fh?.close();
  }
}
