/** A directory outside a repository, filled with old files named like repository objects, and a fingerprint to prove it untouched. */
import { lstat, mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const hexId = (byte: string): string => byte.repeat(32);

/** Far older than any grace period. */
const OLD = new Date('2020-01-02T03:04:05Z');

/** Makes `dir` with files named like objects of every layout directory, a subdirectory, and a lone file `dir`.file. */
export async function makeCanary(dir: string): Promise<string> {
  const names = [hexId('ab'), hexId('cd'), 'notes.txt', `sub/${hexId('ef')}`, `ab/${hexId('ab')}`];
  for (const name of names) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), `canary ${name}\n`);
    await utimes(join(dir, name), OLD, OLD);
  }
  const file = `${dir}.file`;
  await writeFile(file, 'canary file\n');
  await utimes(file, OLD, OLD);
  return file;
}

/** Every entry under `path` (or `path` itself when a file), with its type, size, mtime and bytes. */
export async function fingerprint(path: string): Promise<string[]> {
  const s = await lstat(path);
  const line = `${path} ${s.mode.toString(8)} ${s.size} ${s.mtimeMs}`;
  if (!s.isDirectory()) return [`${line} ${(await readFile(path)).toString('hex')}`];
  const out = [line];
  for (const name of (await readdir(path)).sort()) out.push(...(await fingerprint(join(path, name))));
  return out;
}
