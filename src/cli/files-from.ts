/** --files-from, --files-from-verbatim and --files-from-raw: paths to back up, listed in files (`-`: stdin). */
import { lstat, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { RozenError } from '../core/errors.js';

export interface PathLists {
  /** One path a line; blank lines and lines starting with '#' are skipped, surrounding spaces trimmed. */
  readonly filesFrom: readonly string[];
  /** One path a line, taken as it is (only empty lines are skipped). */
  readonly filesFromVerbatim: readonly string[];
  /** Paths ended by NUL bytes (find -print0). */
  readonly filesFromRaw: readonly string[];
}

/** Every path the lists name, in order. */
export async function readPathLists(lists: PathLists): Promise<string[]> {
  const all = [...lists.filesFrom, ...lists.filesFromVerbatim, ...lists.filesFromRaw];
  if (all.filter((f) => f === '-').length > 1) throw new RozenError('InvalidArgument', 'only one list of paths can be read from stdin');
  const paths: string[] = [];
  for (const f of lists.filesFrom) {
    for (const line of (await readList(f)).split('\n')) {
      const t = line.trim();
      if (t !== '' && !t.startsWith('#')) paths.push(t);
    }
  }
  for (const f of lists.filesFromVerbatim) paths.push(...(await readList(f)).split('\n').filter((l) => l !== ''));
  for (const f of lists.filesFromRaw) paths.push(...(await readList(f)).split('\0').filter((l) => l !== ''));
  return paths;
}

async function readList(file: string): Promise<string> {
  try {
    return file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw new RozenError('InvalidArgument', `cannot read list of paths ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** A listed path that cannot be backed up, and why (counted among the backup's errors). */
export interface Unreadable {
  readonly path: string;
  readonly reason: string;
}

/** Listed paths made absolute, split into those that exist and those that cannot be found or read. */
export async function existingPaths(listed: readonly string[]): Promise<{ present: string[]; missing: Unreadable[] }> {
  const present: string[] = [];
  const missing: Unreadable[] = [];
  const paths = listed.map((p) => resolve(p));
  for (let i = 0; i < paths.length; i += CHECKS_AT_ONCE) {
    const part = paths.slice(i, i + CHECKS_AT_ONCE);
    const found = await Promise.all(part.map((p) => lstat(p).then(() => undefined, reasonOf)));
    part.forEach((path, j) => {
      const reason = found[j];
      if (reason === undefined) present.push(path);
      else missing.push({ path, reason });
    });
  }
  return { present, missing };
}

/** lstat calls in flight while checking a list. */
const CHECKS_AT_ONCE = 64;

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** Path bytes a snapshot may record: its record is read by every command that lists snapshots, and is bounded. */
export const MAX_RECORDED_PATH_BYTES = 4 * 1024 * 1024;

/**
 * The paths a snapshot records: each once, and none below another (backing up `/a` backs up `/a/b`), so a
 * list of every file of a tree (`find ... -print0`) records its top. Refused before anything is read when
 * what is left would still make a record too large to save.
 */
export function recordedPaths(paths: readonly string[]): string[] {
  const kept = new Set<string>();
  for (const p of [...new Set(paths)].sort((a, b) => a.length - b.length)) {
    if (!ancestors(p).some((a) => kept.has(a))) kept.add(p);
  }
  const bytes = [...kept].reduce((n, p) => n + Buffer.byteLength(p) + 1, 0);
  if (bytes > MAX_RECORDED_PATH_BYTES) {
    throw new RozenError(
      'InvalidArgument',
      `${kept.size} paths (${Math.ceil(bytes / 1024)} KiB) are too many for one snapshot to record: list their directories instead`,
    );
  }
  const seen = new Set<string>();
  return paths.filter((p) => kept.has(p) && !seen.has(p) && seen.add(p) !== undefined);
}

/** `/a/b/c` → `/`, `/a`, `/a/b` (absolute paths). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i !== -1; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return path === '/' ? out : ['/', ...out];
}
