/** check: the repository's structure from its own index files and snapshots, and optionally every byte of its packs. */
import { isFormatName, unexpectedObject } from '../backend/format-names.js';
import type { ObjectInfo } from '../backend/backend.js';
import { PACKS_PREFIX } from '../cas/pack-path.js';
import type { PackId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { nativeKeys } from '../repo/native-open.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshots } from '../repo/snapshots.js';
import { loadIndexView, type IndexView } from './index-view.js';
import { indexedLayoutProblems, sameDescription } from './pack-layout.js';
import { packObjects } from './prune-plan.js';
import { readPacks, selectPacks, type DataSubset } from './read-data.js';
import { short, walkSnapshots } from './tree-walker.js';

export interface CheckOptions {
  /** Packs to read whole (none when undefined). */
  readonly readData?: DataSubset;
  readonly random?: () => number;
  /** Each problem as one line, as it is found. */
  readonly onProblem?: (line: string) => void;
  /** Findings that are not errors (unreferenced packs left by interrupted runs). */
  readonly onNote?: (line: string) => void;
}

export interface CheckReport {
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  readonly snapshots: number;
  readonly packs: number;
  readonly packsRead: number;
  readonly blobsRead: number;
}

export async function checkRepository(repo: Repository, opts: CheckOptions = {}): Promise<CheckReport> {
  const problems: string[] = [];
  const notes: string[] = [];
  const problem = (line: string): void => {
    problems.push(line);
    opts.onProblem?.(line);
  };
  const note = (line: string): void => {
    notes.push(line);
    opts.onNote?.(line);
  };
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  try {
    return await checkWith(repo, opts, keys, problems, notes, problem, note);
  } finally {
    keys.fill(0);
  }
}

async function checkWith(
  repo: Repository,
  opts: CheckOptions,
  keys: Uint8Array,
  problems: string[],
  notes: string[],
  problem: (line: string) => void,
  note: (line: string) => void,
): Promise<CheckReport> {
  const disagreements: string[] = [];
  const view = await loadIndexView(repo.backend, repo.sealer, {
    onError: (id, err) => problem(`index file ${short(id)}: ${(err as Error).message}`),
    // A pack listed by several index files must be described the same way by each.
    onRepeat: (id, again, first) => {
      if (!sameDescription(first, again))
        disagreements.push(`pack ${short(again.id)}: index file ${short(id)} describes it differently from another index file`);
    },
  });
  // Reading the data (I/O and the pool) overlaps the listing of the packs and the walk of the snapshots' trees.
  const reading = opts.readData
    ? readData(repo, view, opts.readData, keys, opts, problem)
    : Promise.resolve({ packsRead: 0, blobsRead: 0 });
  reading.catch(() => undefined);
  for (const line of disagreements) problem(line);
  for (const p of view.packs) for (const line of indexedLayoutProblems(view.blobs, p)) problem(line);
  await checkPacksStored(repo, view, problem, note);
  const snapshots = await loadAllSnapshots(repo, problem);
  await walkSnapshots(repo, view, snapshots, {
    problem: (_id, what, use) => problem(`snapshot ${short(use.snapshot.id)}: ${use.path}: ${what}`),
  });
  const { packsRead, blobsRead } = await reading;
  return { problems, notes, snapshots: snapshots.length, packs: view.packs.length, packsRead, blobsRead };
}

async function readData(
  repo: Repository,
  view: IndexView,
  subset: DataSubset,
  keys: Uint8Array,
  opts: CheckOptions,
  problem: (line: string) => void,
): Promise<{ packsRead: number; blobsRead: number }> {
  const chosen = selectPacks(
    view.packs.map((p) => p.id),
    subset,
    opts.random,
  );
  const blobsRead = await readPacks(
    repo,
    chosen.map((id) => view.pack(id)!),
    keys,
    problem,
  );
  return { packsRead: chosen.length, blobsRead };
}

async function checkPacksStored(
  repo: Repository,
  view: IndexView,
  problem: (line: string) => void,
  note: (line: string) => void,
): Promise<void> {
  const listed: ObjectInfo[] = [];
  for await (const o of repo.backend.list(PACKS_PREFIX)) listed.push(o);
  const stored = packObjects(listed);
  for (const p of view.packs) {
    const o = stored.get(p.id);
    if (!o) problem(`pack ${short(p.id)}: in the index but not in the repository`);
    else if (o.size !== p.size) problem(`pack ${short(p.id)}: size ${o.size}, the index says ${p.size}`);
  }
  for (const [id, o] of stored) {
    if (!view.pack(id as PackId)) note(`pack ${short(id)} (${o.size} bytes) is not in any index; \`rozen prune\` removes it`);
  }
  for (const o of listed) if (!stored.has(o.name.split('/').at(-1) ?? '')) note(`unexpected object ${o.name} under packs/`);
  for await (const o of repo.backend.list('tmp/')) {
    note(isFormatName(o.name) ? `${o.name}: an unfinished upload; \`rozen prune\` removes it` : unexpectedObject(o.name));
  }
}

async function loadAllSnapshots(repo: Repository, problem: (line: string) => void): Promise<Snapshot[]> {
  return listSnapshots(repo, (id, err) => problem(`snapshot ${short(id)}: ${err.message}`));
}
