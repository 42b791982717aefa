/** A fingerprint of a directory tree (types, modes, sizes, times, link targets, contents) to prove nothing in it changed. */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Files larger than this are fingerprinted by their metadata only (sparse planted files). */
const HASHED_BYTES = 1024 * 1024;

/** One line per entry below `dir`, sorted; a missing `dir` is an empty fingerprint. */
export async function fingerprint(dir: string): Promise<string[]> {
  const lines: string[] = [];
  await walk(dir, '', lines);
  return lines.sort();
}

async function walk(dir: string, rel: string, lines: string[]): Promise<void> {
  const names = await readdir(join(dir, rel)).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, rel, name);
    const s = await lstat(path);
    const base = `${join(rel, name)} ${s.mode.toString(8)} ${s.size} ${s.mtimeMs} ${s.ino}`;
    if (s.isSymbolicLink()) lines.push(`${base} -> ${await readlink(path)}`);
    else if (s.isFile() && s.size <= HASHED_BYTES)
      lines.push(
        `${base} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`,
      );
    else lines.push(base);
    if (s.isDirectory()) await walk(dir, join(rel, name), lines);
  }
}
