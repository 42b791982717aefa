/** --exclude GLOB / --exclude-file F to a predicate over absolute paths (restic-like patterns). */
import { readFile } from 'node:fs/promises';
import picomatch from 'picomatch';
import { RozenError } from '../core/errors.js';

/**
 * A pattern containing '/' matches the whole absolute path (or a path below a match);
 * one without '/' matches any single path component (e.g. `*.tmp`, `node_modules`).
 */
export function excludeMatcher(patterns: readonly string[]): ((path: Buffer) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const opts = { dot: true };
  const anchored = patterns.filter((p) => p.includes('/')).map((p) => picomatch(p.replace(/\/+$/, ''), opts));
  const component = patterns.filter((p) => !p.includes('/')).map((p) => picomatch(p, opts));
  return (path: Buffer): boolean => {
    const s = path.toString();
    if (anchored.some((m) => m(s))) return true;
    const base = s.slice(s.lastIndexOf('/') + 1);
    return component.some((m) => m(base));
  };
}

export async function readExcludeFiles(files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      throw new RozenError('InvalidArgument', `cannot read exclude file ${f}`);
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t !== '' && !t.startsWith('#')) out.push(t);
    }
  }
  return out;
}
