/** Test fixture: a small repository on a memory backend, snapshots written directly through BlobSaver, and read back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import { BlobType } from '../../src/core/types.js';
import { BlobSaver } from '../../src/repo/blob-saver.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { loadIndexView, type IndexView } from '../../src/lifecycle/index-view.js';
import { loadTreeFrom } from '../../src/lifecycle/tree-walker.js';
import { Repository } from '../../src/repo/repository.js';
import { listSnapshots, saveSnapshot } from '../../src/repo/snapshots.js';
import { encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import type { Node } from '../../src/snapshot/node.js';
import { node } from '../helpers/node.js';

process.env['ROZEN_KDF_N'] = '1024';

export const PASSWORD = 'test password';
/** Small sizes so that a few files make many packs. */
export const SMALL_CONFIG = { packSize: 2048, largeFile: 3000, degenerateMax: 8192, chunkMin: 256, chunkAvg: 512, chunkMax: 1024 };
export const CHUNK = 700;

export type FileSet = ReadonlyMap<string, Uint8Array>;

export async function initRepo(backend: Backend, cacheDir: string): Promise<Repository> {
  await Repository.init(backend, PASSWORD, SMALL_CONFIG);
  return Repository.open(backend, PASSWORD, { cacheDir });
}

export function tempDir(prefix = 'rozen-lifecycle-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function memoryRepo(): Promise<{ backend: MemoryBackend; repo: Repository; done: () => Promise<void> }> {
  const backend = new MemoryBackend();
  const cache = tempDir();
  const repo = await initRepo(backend, cache.path);
  return {
    backend,
    repo,
    done: async () => {
      await repo.close();
      cache.remove();
    },
  };
}

interface Dir {
  readonly dirs: Map<string, Dir>;
  readonly files: Map<string, Uint8Array>;
}

function toDirs(files: FileSet): Dir {
  const root: Dir = { dirs: new Map(), files: new Map() };
  for (const [path, data] of files) {
    const parts = path.split('/');
    let d = root;
    for (const p of parts.slice(0, -1)) {
      let next = d.dirs.get(p);
      if (!next) d.dirs.set(p, (next = { dirs: new Map(), files: new Map() }));
      d = next;
    }
    d.files.set(parts.at(-1)!, data);
  }
  return root;
}

class Writer {
  constructor(
    readonly repo: Repository,
    readonly saver: BlobSaver,
    readonly tasks: BlobTasks,
    readonly mtimes: ReadonlyMap<string, bigint> = new Map(),
  ) {}

  async file(name: string, data: Uint8Array, mtimeNs = 0n): Promise<Node> {
    const large = data.length >= this.repo.config.largeFile;
    const content: BlobId[] = [];
    const sizes: number[] = [];
    for (let at = 0; at < data.length || (at === 0 && !large && data.length > 0); at += large ? CHUNK : data.length) {
      const piece = large ? data.subarray(at, at + CHUNK) : data;
      const r = this.tasks.seal({ op: 'seal', data: piece, level: 3 });
      if (!(await this.saver.has(r.id)) && this.saver.claim(r.id)) {
        if (large) await this.saver.saveChunk(r.id, r.sealed, r.rawLength);
        else await this.saver.saveSmall(BlobType.data, r.id, r.sealed, r.rawLength);
      }
      content.push(r.id);
      sizes.push(piece.length);
      if (!large) break;
    }
    if (large) await this.saver.endLargeFile();
    return { ...node(name, 'file'), size: data.length, content, sizes, mtimeNs };
  }

  async dir(d: Dir, prefix = ''): Promise<BlobId> {
    const nodes: Node[] = [];
    for (const [name, sub] of d.dirs) nodes.push({ ...node(name, 'dir'), subtree: await this.dir(sub, `${prefix}${name}/`) });
    for (const [name, data] of d.files) nodes.push(await this.file(name, data, this.mtimes.get(`${prefix}${name}`)));
    nodes.sort((a, b) => Buffer.compare(a.name, b.name));
    const r = this.tasks.seal({ op: 'seal', data: encodeTree(nodes), level: 3 });
    if (!(await this.saver.has(r.id)) && this.saver.claim(r.id)) await this.saver.saveSmall(BlobType.tree, r.id, r.sealed, r.rawLength);
    return r.id;
  }
}

export interface SnapshotMeta {
  readonly time?: string;
  readonly hostname?: string;
  readonly paths?: readonly string[];
  readonly tags?: readonly string[];
  /** Files' mtimes by path (0 for the others). */
  readonly mtimes?: ReadonlyMap<string, bigint>;
}

/** Stores `files` (paths relative to the snapshot root, '/'-separated) as a new snapshot: packs → index → record. */
export async function writeSnapshot(repo: Repository, files: FileSet, meta: SnapshotMeta = {}): Promise<SnapshotId> {
  const saver = new BlobSaver(repo.backend, repo.sealer, repo.index, { ...repo.config, indexEvery: 10_000 });
  const w = new Writer(repo, saver, new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey }), meta.mtimes);
  const tree = await w.dir(toDirs(files));
  await saver.flush();
  return saveSnapshot(repo, {
    time: meta.time ?? new Date().toISOString(),
    hostname: meta.hostname ?? 'host',
    username: 'user',
    paths: [...(meta.paths ?? ['/data'])],
    tags: [...(meta.tags ?? [])],
    tree,
  });
}

async function readDir(
  repo: Repository,
  view: IndexView,
  tree: BlobId,
  prefix: string,
  out: Map<string, Uint8Array>,
  mtimes?: Map<string, bigint>,
): Promise<void> {
  for (const node of await loadTreeFrom(repo, view, tree)) {
    const path = `${prefix}${node.name.toString()}`;
    if (node.type === 'dir' && node.subtree) await readDir(repo, view, node.subtree, `${path}/`, out, mtimes);
    if (node.type !== 'file') continue;
    mtimes?.set(path, node.mtimeNs);
    const parts: Uint8Array[] = [];
    for (const id of node.content ?? []) {
      const loc = view.locations(id)[0];
      if (!loc) throw new Error(`${path}: blob ${id} not indexed`);
      parts.push(await repo.loadBlob(id, loc));
    }
    out.set(path, Buffer.concat(parts));
  }
}

/** Every file of every snapshot, read from the repository's own index files; with `mtimes`, their mtimes there too. */
export async function readAllSnapshots(
  repo: Repository,
  mtimes?: Map<SnapshotId, Map<string, bigint>>,
): Promise<Map<SnapshotId, Map<string, Uint8Array>>> {
  const view = await loadIndexView(repo.backend, repo.sealer);
  const out = new Map<SnapshotId, Map<string, Uint8Array>>();
  for (const s of await listSnapshots(repo)) {
    const files = new Map<string, Uint8Array>();
    const times = new Map<string, bigint>();
    mtimes?.set(s.id, times);
    await readDir(repo, view, s.tree, '', files, times);
    out.set(s.id, files);
  }
  return out;
}

export function sameFiles(a: FileSet | undefined, b: FileSet | undefined): boolean {
  if (!a || !b || a.size !== b.size) return false;
  for (const [k, v] of a) if (!Buffer.from(v).equals(Buffer.from(b.get(k) ?? new Uint8Array([1, 2, 3])))) return false;
  return true;
}

/** A copy of every object of a memory backend (mtimes are the copy's). */
export async function cloneBackend(src: Backend, now?: () => number): Promise<MemoryBackend> {
  const dst = new MemoryBackend(now ? { now } : {});
  for await (const o of src.list('')) await dst.put(o.name, await src.get(o.name));
  return dst;
}

/** Every problem a full-read check finds, plus each snapshot of `model` that is missing or reads back differently. */
export async function problemsAgainst(repo: Repository, model: ReadonlyMap<SnapshotId, FileSet>): Promise<string[]> {
  const problems = [...(await checkRepository(repo, { readData: { kind: 'all' } })).problems];
  const back = await readAllSnapshots(repo);
  if (back.size !== model.size) problems.push(`${back.size} snapshots instead of ${model.size}`);
  for (const [id, files] of model) if (!sameFiles(back.get(id), files)) problems.push(`snapshot ${id} differs`);
  return problems;
}
