/** The files of a local repository that a process adds or removes, seen by polling: the moments kill tests wait for. */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Paths of the files under `dir`, relative to it (temp files of uploads and lock files included). */
function files(dir: string): Set<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
      return new Set(entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))));
    } catch (err) {
      // A directory removed while it was listed: list again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 100) throw err;
    }
  }
}

export class RepoChanges {
  readonly #before: ReadonlySet<string>;
  readonly #seen = new Set<string>();

  constructor(private readonly dir: string) {
    this.#before = files(dir);
  }

  /** Every path added or removed since construction, as far as the polls saw (one that came and went between two is missed). */
  poll(): ReadonlySet<string> {
    const now = files(this.dir);
    for (const p of now) if (!this.#before.has(p)) this.#seen.add(p);
    for (const p of this.#before) if (!now.has(p)) this.#seen.add(p);
    return this.#seen;
  }
}
