/** The base repository the hostile cases damage: two snapshots, a data and a tree pack from each, two index files. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Backend } from '../../src/backend/backend.js';
import { PackKind } from '../../src/core/types.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { Repository } from '../../src/repo/repository.js';
import { runLimited } from './run-limited.js';

export const PASSWORD = 'correct horse';

/** The objects of the base repository, by role. */
export interface Layout {
  /** The older and the newer snapshot. */
  readonly snapA: string;
  readonly snapB: string;
  /** Data and tree packs of the first backup, and of the second (which adds one file). */
  readonly data1: string;
  readonly tree1: string;
  readonly data2: string;
  readonly tree2: string;
  readonly index1: string;
  readonly index2: string;
  readonly key: string;
}

export const packName = (id: string): string => `packs/${id.slice(0, 2)}/${id}`;

/** Source files for the backups: `late.txt` is left out of the first one. */
export async function writeSource(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'a.bin'), randomBytes(100_000));
  await writeFile(join(dir, 'b.txt'), 'hello\n');
  await writeFile(join(dir, 'sub', 'c.txt'), 'nested\n');
  await writeFile(join(dir, 'late.txt'), 'added by the second backup\n');
}

async function names(backend: Backend, prefix: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const o of backend.list(prefix)) out.add(o.name.split('/').at(-1)!);
  return out;
}

const only = (set: Set<string>, what: string): string => {
  if (set.size !== 1) throw new Error(`expected one ${what}, found ${set.size}`);
  return [...set][0]!;
};

/** Initialises `url` and backs `src` up twice through the CLI; returns which object is which. `work` is scratch space. */
export async function buildBase(url: string, backend: Backend, src: string, env: Record<string, string>, work: string): Promise<Layout> {
  await mkdir(work, { recursive: true });
  const run = async (args: string[]): Promise<void> => {
    const r = await runLimited(args, env, 60_000, join(work, 'build.mem'));
    if (r.code !== 0) throw new Error(`rozen ${args.join(' ')}: ${r.stderr}`);
  };
  await run(['init', url]);
  await run(['backup', url, src, '--exclude', 'late.txt']);
  const [packs1, index1, snaps1] = await Promise.all([names(backend, 'packs/'), names(backend, 'index/'), names(backend, 'snapshots/')]);
  await run(['backup', url, src]);
  const minus = (all: Set<string>, old: Set<string>): Set<string> => new Set([...all].filter((x) => !old.has(x)));
  const packs2 = minus(await names(backend, 'packs/'), packs1);
  const repo = await Repository.open(backend, PASSWORD, { cacheDir: join(work, 'cache') });
  const view = await loadIndexView(repo.backend, repo.sealer);
  await repo.index.close();
  const ofKind = (set: Set<string>, kind: PackKind): Set<string> => new Set([...set].filter((id) => view.pack(id as never)?.kind === kind));
  return {
    snapA: only(snaps1, 'snapshot'),
    snapB: only(minus(await names(backend, 'snapshots/'), snaps1), 'snapshot'),
    data1: only(ofKind(packs1, PackKind.normal), 'data pack'),
    tree1: only(ofKind(packs1, PackKind.tree), 'tree pack'),
    data2: only(ofKind(packs2, PackKind.normal), 'data pack'),
    tree2: only(ofKind(packs2, PackKind.tree), 'tree pack'),
    index1: only(index1, 'index file'),
    index2: only(minus(await names(backend, 'index/'), index1), 'index file'),
    key: only(await names(backend, 'keys/'), 'key file'),
  };
}

/** A directory tree held in memory: copies are laid down without walking the original each time. */
export interface TreeCopy {
  readonly dirs: readonly string[];
  readonly files: readonly { readonly rel: string; readonly bytes: Buffer }[];
}

export async function readTree(dir: string): Promise<TreeCopy> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rel = (e: { parentPath?: string; path: string; name: string }): string =>
    join(e.parentPath ?? e.path, e.name).slice(dir.length + 1);
  const files = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => ({ rel: rel(e), bytes: await readFile(join(dir, rel(e))) })),
  );
  return { dirs: entries.filter((e) => e.isDirectory()).map(rel), files };
}

export async function writeTree(copy: TreeCopy, dir: string): Promise<void> {
  for (const d of ['', ...copy.dirs]) await mkdir(join(dir, d), { recursive: true });
  await Promise.all(copy.files.map((f) => writeFile(join(dir, f.rel), f.bytes)));
}
