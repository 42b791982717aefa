/** forget: remove snapshot records, named by id or not kept by a policy (data goes with `prune`). */
import { deleteFormatObjects } from '../backend/format-names.js';
import { invalidArgument } from '../core/errors.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Repository } from '../repo/repository.js';
import { findSnapshot, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import { applyPolicy, groupSnapshots, isEmptyPolicy, type KeepPolicy, type Kept, type SnapshotGroup } from './forget-policy.js';

export interface ForgetOptions {
  /** Snapshots to remove by id or unique id prefix. */
  readonly ids?: readonly string[];
  readonly policy?: KeepPolicy;
  /** Only snapshots of this host / with all these tags are considered by the policy. */
  readonly host?: string | undefined;
  readonly tags?: readonly string[];
  readonly dryRun?: boolean;
}

export interface ForgetGroup extends SnapshotGroup {
  readonly keep: readonly Kept[];
  readonly remove: readonly Snapshot[];
}

export interface ForgetResult {
  readonly byId: readonly Snapshot[];
  readonly groups: readonly ForgetGroup[];
  /** Everything removed (or, on a dry run, to be removed). */
  readonly removed: readonly Snapshot[];
}

export async function forget(repo: Repository, opts: ForgetOptions): Promise<ForgetResult> {
  const policy = opts.policy ?? {};
  const ids = opts.ids ?? [];
  if (ids.length === 0 && isEmptyPolicy(policy)) {
    throw invalidArgument('no snapshots given and no policy (--keep-*): refusing to remove everything');
  }
  const byId = await Promise.all(ids.map((id) => findSnapshot(repo, id)));
  const named = new Set(byId.map((s) => s.id));
  const groups: ForgetGroup[] = [];
  if (!isEmptyPolicy(policy)) {
    const candidates = (await listSnapshots(repo)).filter(
      (s) => !named.has(s.id) && matchesFilter(s, { host: opts.host, tags: opts.tags }),
    );
    for (const g of groupSnapshots(candidates)) groups.push({ ...g, ...applyPolicy(g.snapshots, policy) });
  }
  const removed = [...new Map([...byId, ...groups.flatMap((g) => g.remove)].map((s) => [s.id, s])).values()];
  if (!opts.dryRun)
    await deleteFormatObjects(
      repo.backend,
      removed.map((s) => `snapshots/${s.id}`),
    );
  return { byId, groups, removed };
}
