/** A snapshot path as a zip archive (yazl): files deflated, symlinks as links, times and modes kept. */
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { fileBytes } from './file-bytes.js';
import { archiveEntries, type ByteSink, type DumpTop, type SkipReport } from './entries.js';

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** yazl writes the time as an unsigned 32-bit count of seconds: times outside that range are clamped into it. */
const LAST_MS = 0xffffffff * 1000;
const mtimeOf = (n: Node): Date => new Date(Math.min(LAST_MS, Math.max(0, Number(n.mtimeNs / 1_000_000n))));

/**
 * The entry's name, or why zip cannot hold it as it is: names are UTF-8 there, and yazl turns `\` into
 * `/` and refuses `..` parts and a leading drive letter, any of which would archive another path.
 */
export function zipNameProblem(path: Buffer): string | undefined {
  const name = path.toString();
  if (!Buffer.from(name).equals(path)) return 'its name is not UTF-8, which zip needs';
  if (name.includes('\\')) return 'zip would read the \\ in its name as a directory separator';
  if (/^[a-zA-Z]:/.test(name) || name.split('/').includes('..')) return 'zip would read its name as another path';
  return undefined;
}

/** Adds one entry; false when zip cannot hold its type. File contents are read only when the zip reaches them. */
function addEntry(zip: ZipFile, repo: Repository, path: Buffer, node: Node): boolean {
  const name = path.toString();
  const mtime = mtimeOf(node);
  const perm = node.mode & 0o7777;
  if (node.type === 'dir') {
    if (name !== '.') zip.addEmptyDirectory(name, { mtime, mode: S_IFDIR | perm });
  } else if (node.type === 'symlink') {
    zip.addBuffer(node.linkTarget ?? Buffer.alloc(0), name, { mtime, mode: S_IFLNK | perm, compress: false });
  } else if (node.type === 'file') {
    zip.addReadStreamLazy(name, { mtime, mode: S_IFREG | perm, size: node.size }, (cb) =>
      cb(null, Readable.from(fileBytes(repo, node, name))),
    );
  } else return false;
  return true;
}

export async function writeZip(repo: Repository, top: DumpTop, sink: ByteSink, skipped: SkipReport): Promise<void> {
  const zip = new ZipFile();
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  failed.catch(() => undefined); // raced below; not an unhandled rejection before then
  const pump = (async (): Promise<void> => {
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) await sink.write(chunk);
  })();
  // A sink that failed (a closed pipe) stops the walk; the failure is thrown by the race below.
  let stopped = false;
  pump.catch(() => (stopped = true));
  for await (const { path, node } of archiveEntries(repo, top)) {
    if (stopped) break;
    const problem = zipNameProblem(path);
    if (problem !== undefined) skipped(path.toString(), problem);
    else if (!addEntry(zip, repo, path, node)) skipped(path.toString(), `zip cannot hold a ${node.type}`);
  }
  zip.end();
  await Promise.race([pump, failed]);
}
