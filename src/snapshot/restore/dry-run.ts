/** restore --dry-run: what a restore would create or replace in the target, found without writing anything. */
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Snapshot } from '../../core/snapshot.js';
import type { Repository } from '../../repo/repository.js';
import { walkSelected, type Selection } from './plan.js';
import { keepExisting, type OverwriteMode } from './restore.js';

export type DryRunAction = 'restore' | 'replace';

export interface DryRunOptions {
  readonly target: string;
  readonly selection?: Selection;
  readonly overwrite?: OverwriteMode;
  /** Called for each entry that would be created ('restore') or would replace what is there ('replace'). */
  readonly action: (action: DryRunAction, path: string) => void;
}

export interface DryRunResult {
  readonly restore: number;
  readonly replace: number;
  /** Existing entries a restore would leave (by --overwrite, or directories that exist). */
  readonly unchanged: number;
  /** Bytes of the files that would be written. */
  readonly bytes: number;
}

const WALK_STEPS = 4096;

export async function dryRunRestore(repo: Repository, snap: Snapshot, opts: DryRunOptions): Promise<DryRunResult> {
  const target = Buffer.from(resolve(opts.target));
  const r = { restore: 0, replace: 0, unchanged: 0, bytes: 0 };
  await walkSelected(repo, snap.tree, opts.selection ?? {}, WALK_STEPS, async (steps) => {
    for (const { kind, entry } of steps) {
      if (kind !== 'entry') continue;
      const path = Buffer.concat([target, entry.path]);
      const st = await lstat(path).catch(() => undefined);
      const mode = opts.overwrite ?? 'always';
      if (st && ((entry.node.type === 'dir' && st.isDirectory()) || (mode !== 'always' && (await keepExisting(path, entry, mode))))) {
        r.unchanged++;
        continue;
      }
      const action = st ? 'replace' : 'restore';
      r[action]++;
      if (entry.node.type === 'file') r.bytes += entry.node.size;
      opts.action(action, path.toString());
    }
  });
  return r;
}
