/**
 * Builds a synthetic repository of BLOBS blobs (default 5,000,000) for measuring `check` and
 * `forget --prune` at scale: real packs, index files, trees and snapshots, sealed and written
 * through Rozen's own modules in dist/ (run `npm run build` first).
 *
 *   ROZEN_PASSWORD=… node scripts/bench/synth-repo.mjs <new repository directory>
 *
 * Shape: files of one tiny data blob each (9 bytes of plaintext, stored raw), 1,000 files per
 * directory, 2,000 blobs per normal pack, tree packs of up to 16 MiB; SNAPSHOTS snapshots of /data,
 * the k-th holding 60 % of the directories starting at k × 10 %, so `forget --keep-last 3` leaves
 * the first 20 % of them unreferenced. Every tenth pack also holds 30 % of blobs no file references
 * (prune repacks it), the others 2 % (prune keeps them as they are). The repository has the
 * default configuration unless PACK_SIZE (bytes) sets its pack size, which is what prune's new packs
 * are cut by.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { LocalBackend } from '../../dist/backend/local.js';
import { PackWriter } from '../../dist/cas/pack-writer.js';
import { INDEX_FILE_BLOBS, writeIndexFile } from '../../dist/cas/index-file.js';
import { Sealer } from '../../dist/crypto/sealer.js';
import { BlobTasks } from '../../dist/repo/blob-task.js';
import { unlockMasterKey } from '../../dist/repo/keys.js';
import { nativeKeys } from '../../dist/repo/native-open.js';
import { sealBlobs } from '../../dist/repo/native-seal.js';
import { Repository } from '../../dist/repo/repository.js';
import { saveSnapshot } from '../../dist/repo/snapshots.js';
import { encodeTree } from '../../dist/snapshot/fs/tree-codec.js';

const BLOBS = Number(process.env.BLOBS ?? 5_000_000);
const FILES_PER_DIR = 1000;
const BLOBS_PER_PACK = 2000;
const PACK_SIZE = process.env.PACK_SIZE === undefined ? undefined : Number(process.env.PACK_SIZE);
const TREE_PACK_BYTES = 16 * 1024 * 1024;
const SNAPSHOTS = 5;
/** Blob types and pack kinds (FORMAT §2). */
const DATA = 0;
const TREE = 1;
const NORMAL_PACK = 0;
const TREE_PACK = 2;

const dir = process.argv[2];
const password = process.env.ROZEN_PASSWORD;
if (!dir || !password) {
  console.error('usage: ROZEN_PASSWORD=… node scripts/bench/synth-repo.mjs <new repository directory>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
if (readdirSync(dir).length > 0) {
  console.error(`${dir} is not empty`);
  process.exit(2);
}

const backend = new LocalBackend(dir);
await Repository.init(backend, password, PACK_SIZE === undefined ? {} : { packSize: PACK_SIZE });
const { master } = await unlockMasterKey(backend, password);
const sealer = new Sealer(master.encKey);
const keys = nativeKeys(master.encKey, master.idKey);
const tasks = new BlobTasks(master);

/** Index files are written as packs are finished, a new one before it would name more than INDEX_FILE_BLOBS blobs. */
const indexer = {
  pending: [],
  blobs: 0,
  files: 0,
  async add(desc) {
    if (this.blobs + desc.blobs.length > INDEX_FILE_BLOBS) await this.flush();
    this.pending.push(desc);
    this.blobs += desc.blobs.length;
  },
  async flush() {
    if (this.pending.length === 0) return;
    await writeIndexFile(backend, sealer, this.pending);
    this.pending = [];
    this.blobs = 0;
    this.files++;
  },
};

const counts = { data: 0, referenced: 0, trees: 0, packs: 0, treePacks: 0 };
let treePack = new PackWriter(backend, sealer, TREE_PACK);

async function addTree(nodes) {
  const r = tasks.seal({ op: 'seal', data: encodeTree(nodes), level: 3 });
  treePack.add(r.id, TREE, r.sealed, r.rawLength);
  counts.trees++;
  if (treePack.size >= TREE_PACK_BYTES) await finishTreePack();
  return r.id;
}

async function finishTreePack() {
  if (treePack.count === 0) return;
  await indexer.add(await treePack.finish());
  counts.treePacks++;
  treePack = new PackWriter(backend, sealer, TREE_PACK);
}

const name = (prefix, n) => Buffer.from(`${prefix}${String(n).padStart(7, '0')}`);
const node = (nameBytes, type, extra) => ({
  name: nameBytes,
  type,
  mode: type === 'dir' ? 0o755 : 0o644,
  uid: 1000,
  gid: 1000,
  mtimeNs: 1_700_000_000_000_000_000n,
  atimeNs: 1_700_000_000_000_000_000n,
  ctimeNs: 1_700_000_000_000_000_000n,
  size: 0,
  allocated: 0,
  device: 1,
  inode: 1,
  links: 1,
  ...extra,
});

/** The plaintext of data blob `k`: 'R' or 'U' (referenced or not) and k, so that every blob is distinct. */
function plaintext(tag, k) {
  const b = Buffer.alloc(9);
  b.write(tag, 0, 'latin1');
  b.writeBigUInt64LE(BigInt(k), 1);
  return b;
}

const unreferencedShare = (pack) => (pack % 10 === 5 ? 0.3 : 0.02);
const isUnreferenced = (pack, j) => Math.floor((j + 1) * unreferencedShare(pack)) > Math.floor(j * unreferencedShare(pack));
const dirsOf = (referenced) => Math.ceil(referenced / FILES_PER_DIR);
/** Blobs once everything is written: data, one tree per directory, and a /data tree and a root tree per snapshot. */
const total = (data, referenced) => data + dirsOf(referenced) + 2 * SNAPSHOTS;

const leafTrees = [];
let files = [];
let unreferenced = 0;
const started = Date.now();

async function finishDir() {
  if (files.length === 0) return;
  leafTrees.push(await addTree(files));
  files = [];
}

for (let pack = 0; total(counts.data, counts.referenced) < BLOBS; pack++) {
  const inputs = [];
  const refs = [];
  for (let j = 0; j < BLOBS_PER_PACK && total(counts.data + inputs.length, counts.referenced) < BLOBS; j++) {
    // A referenced blob that would open a directory past the budget is an unreferenced one instead.
    const opensDir = counts.referenced % FILES_PER_DIR === 0;
    const budget = total(counts.data + inputs.length + 1, counts.referenced + 1) <= BLOBS;
    if (isUnreferenced(pack, j) || (opensDir && !budget)) {
      inputs.push({ data: plaintext('U', unreferenced++), level: false });
      refs.push(-1);
    } else {
      refs.push(counts.referenced);
      inputs.push({ data: plaintext('R', counts.referenced++), level: false });
    }
  }
  const sealed = await sealBlobs(keys, inputs);
  const writer = new PackWriter(backend, sealer, NORMAL_PACK);
  for (const [i, s] of sealed.entries()) {
    writer.add(s.id, DATA, s.sealed, s.rawLength);
    const k = refs[i];
    if (k < 0) continue;
    files.push(node(name('f', k % FILES_PER_DIR), 'file', { size: 9, allocated: 4096, inode: k + 2, content: [s.id], sizes: [9] }));
    if (files.length === FILES_PER_DIR) await finishDir();
  }
  counts.data += inputs.length;
  await indexer.add(await writer.finish());
  counts.packs++;
  if (pack % 250 === 0)
    console.error(`pack ${pack}: ${counts.data} data blobs, ${counts.trees} trees, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
await finishDir();

const dirs = leafTrees.length;
const snapshotTrees = [];
for (let k = 0; k < SNAPSHOTS; k++) {
  const from = Math.floor((k * dirs) / 10);
  const to = Math.min(dirs, from + Math.floor((6 * dirs) / 10));
  const entries = [];
  for (let d = from; d < to; d++) entries.push(node(name('d', d), 'dir', { subtree: leafTrees[d], inode: 1_000_000_000 + d }));
  const data = await addTree(entries);
  snapshotTrees.push(await addTree([node(Buffer.from('data'), 'dir', { subtree: data, inode: 999_999_999 })]));
}
await finishTreePack();
await indexer.flush();
for (const [k, tree] of snapshotTrees.entries()) {
  await saveSnapshot(
    { backend, sealer },
    {
      time: `2026-01-0${k + 1}T00:00:00.000Z`,
      hostname: 'synth',
      username: 'bench',
      paths: ['/data'],
      tags: [],
      tree,
    },
  );
}
await backend.close();
const blobs = counts.data + counts.trees;
console.log(
  `${dir}: ${blobs} blobs (${counts.data} data, ${counts.referenced} of them in files; ${counts.trees} trees), ` +
    `${counts.packs} data packs, ${counts.treePacks} tree packs, ${indexer.files} index files, ${SNAPSHOTS} snapshots, ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s`,
);
