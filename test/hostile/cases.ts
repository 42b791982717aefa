/** Damaged and crafted repositories: each case changes a copy of the base repository in one hostile way. */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, open, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Packr } from 'msgpackr';
import { packName, type Layout } from './fixture.js';

/** Where a case's objects live on disk (a local repository, or s3rver's files), and how a new one is made. */
export interface Store {
  /** The file holding object `name`. */
  file(name: string): string;
  /** Creates object `name` through the backend, so that a server knows of it. */
  create(name: string, bytes: Uint8Array): Promise<void>;
  /** A directory outside the repository, for link targets. */
  readonly outside: string;
}

/** Whose code a case exercises, for the report of what still fails. */
export type Area = 'bounds' | 'keys' | 'locks' | 'local-backend';

export interface Case {
  readonly name: string;
  readonly area: Area;
  /**
   * The commands run against it (by name, matrix.ts), all when absent: every variant of a file's damage
   * meets every command in one case, the other variants a few commands, so that the suite stays quick.
   */
  readonly commands?: readonly string[];
  /** The commands run on S3 (s3rver) as well, a few per size bound: the same code paths as locally, over HTTP. */
  readonly s3?: readonly string[];
  /** The text by which a line names the bad file. */
  readonly names: (l: Layout) => string;
  readonly damage: (s: Store, l: Layout) => Promise<void>;
}

/** Past 2^31 (Node's largest single read) and far past any bound: sparse, so it costs no disk. */
const HUGE = 3 * 2 ** 30;
const msgpack = new Packr({ useRecords: false, mapsAsObjects: true });
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const short = (id: string): string => id.slice(0, 8);
/** A lock id that sorts nowhere special; fixed so that its lines can be matched. */
const LOCK_ID = 'c0ffee'.padEnd(64, '0');
const lockName = `locks/${LOCK_ID}`;

async function flipByte(file: string, at: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const size = (await fh.stat()).size;
    const pos = at < 0 ? size + at : at;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, pos);
    b[0] = b[0]! ^ 0x5a;
    await fh.write(b, 0, 1, pos);
  } finally {
    await fh.close();
  }
}

/** Writes `bytes` at the very end of `file` after growing it (sparsely) to `size`. */
async function sparseWithTail(file: string, size: number, tail: Uint8Array): Promise<void> {
  await truncate(file, size);
  const fh = await open(file, 'r+');
  try {
    await fh.write(tail, 0, tail.length, size - tail.length);
  } finally {
    await fh.close();
  }
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** Bytes stored under the name their SHA-256 gives, so that they pass the name check and reach the parser. */
async function createHashed(s: Store, dir: string, bytes: Uint8Array): Promise<string> {
  const id = sha256(bytes);
  await s.create(`${dir}/${id}`, bytes);
  return id;
}

const GARBAGE = randomBytes(300);
const GARBAGE_ID = sha256(GARBAGE);
const EMPTY_ID = sha256(new Uint8Array(0));
const CONFIG_LIKE = msgpack.pack({
  version: 1,
  id: 'f'.repeat(64),
  cipher: 1,
  blobHash: 1,
  fileHash: 1,
  chunker: 1,
  chunkMin: 1,
  chunkAvg: 4,
  chunkMax: 2 ** 40,
});
const HUGE_N_KEY = Buffer.from(
  JSON.stringify({
    version: 1,
    kdf: 1,
    N: 2 ** 40,
    r: 8,
    p: 1,
    salt: randomBytes(32).toString('base64'),
    created: new Date(0).toISOString(),
    hostname: 'evil',
    username: 'evil',
    data: randomBytes(104).toString('base64'),
  }),
);
const HUGE_N_KEY_ID = sha256(HUGE_N_KEY);
const PACK_TAIL_ID = 'ab'.padEnd(64, 'e');

const bounds = (name: string, names: Case['names'], damage: Case['damage'], commands?: readonly string[], s3?: Case['s3']): Case => ({
  name,
  area: 'bounds',
  names,
  damage,
  ...(commands && { commands }),
  ...(s3 && { s3 }),
});
const config = (name: string, damage: Case['damage'], commands?: readonly string[], s3?: Case['s3']): Case =>
  bounds(name, () => 'config', damage, commands, s3);
const snapshotB = (l: Layout): string => `snapshots/${l.snapB}`;
const index2 = (l: Layout): string => `index/${l.index2}`;
const lockOf =
  (bytes: Uint8Array, then?: (s: Store) => Promise<void>) =>
  async (s: Store): Promise<void> => {
    await s.create(lockName, bytes);
    await then?.(s);
  };

/** Subsets of the commands for the variants of a damage (see Case.commands). */
const OPENING = ['snapshots', 'check', 'repair index'];
const SNAPSHOT_READERS = ['snapshots', 'check', 'repair snapshots'];
const INDEX_READERS = ['ls', 'check', 'repair index'];
const PACK_READERS = ['check', 'check --read-data', 'repair index'];

export const CASES: readonly Case[] = [
  config('config truncated', (s) => truncate(s.file('config'), 20), OPENING),
  config('config bit flipped', (s) => flipByte(s.file('config'), 60), OPENING),
  config('config empty', (s) => truncate(s.file('config'), 0), OPENING),
  config('config sparse 3 GiB', (s) => truncate(s.file('config'), HUGE), undefined, ['snapshots', 'repair index']),
  config('config plain msgpack', (s) => writeFile(s.file('config'), CONFIG_LIKE), OPENING),

  {
    name: 'key truncated',
    area: 'keys',
    commands: ['snapshots', 'key list', 'unlock'],
    names: (l) => short(l.key),
    damage: (s, l) => truncate(s.file(`keys/${l.key}`), 30),
  },
  {
    name: 'key sparse 3 GiB',
    area: 'keys',
    commands: ['snapshots', 'key list', 'backup'],
    s3: ['key list'],
    names: (l) => short(l.key),
    damage: (s, l) => truncate(s.file(`keys/${l.key}`), HUGE),
  },
  {
    name: 'extra key with N = 2^40',
    area: 'keys',
    commands: ['snapshots', 'key list'],
    names: () => short(HUGE_N_KEY_ID),
    damage: (s) => createHashed(s, 'keys', HUGE_N_KEY).then(() => undefined),
  },
  {
    name: 'extra key of random bytes',
    area: 'keys',
    commands: ['key list', 'backup'],
    names: () => short(GARBAGE_ID),
    damage: (s) => createHashed(s, 'keys', GARBAGE).then(() => undefined),
  },

  {
    name: 'lock of random bytes',
    area: 'locks',
    commands: ['snapshots', 'check', 'prune', 'unlock'],
    names: () => short(LOCK_ID),
    damage: lockOf(GARBAGE),
  },
  {
    name: 'lock sparse 3 GiB',
    area: 'locks',
    commands: ['check', 'prune', 'unlock', 'backup'],
    s3: ['check', 'prune'],
    names: () => short(LOCK_ID),
    damage: lockOf(GARBAGE, (s) => truncate(s.file(lockName), HUGE)),
  },
  {
    name: 'lock plain msgpack',
    area: 'locks',
    commands: ['check', 'prune', 'unlock'],
    names: () => short(LOCK_ID),
    damage: lockOf(msgpack.pack({ version: 1, hostname: 'h', username: 'u', pid: 1, time: Date.now(), exclusive: true })),
  },

  bounds(
    'snapshot bit flipped',
    (l) => short(l.snapB),
    (s, l) => flipByte(s.file(snapshotB(l)), 50),
    SNAPSHOT_READERS,
  ),
  bounds(
    'snapshot truncated',
    (l) => short(l.snapB),
    (s, l) => truncate(s.file(snapshotB(l)), 30),
    SNAPSHOT_READERS,
  ),
  bounds(
    'snapshot sparse 3 GiB',
    (l) => short(l.snapB),
    (s, l) => truncate(s.file(snapshotB(l)), HUGE),
    undefined,
    [...SNAPSHOT_READERS, 'backup'],
  ),
  bounds(
    'snapshot A under the name of B',
    (l) => short(l.snapB),
    (s, l) => copyFile(s.file(`snapshots/${l.snapA}`), s.file(snapshotB(l))),
    ['snapshots', 'diff', 'check', 'repair snapshots'],
    ['snapshots', 'repair snapshots'],
  ),
  bounds(
    'snapshot of random bytes named by its hash',
    () => short(GARBAGE_ID),
    (s) => createHashed(s, 'snapshots', GARBAGE).then(() => undefined),
    ['snapshots', 'ls', 'repair snapshots'],
  ),
  bounds(
    'snapshot empty named by its hash',
    () => short(EMPTY_ID),
    (s) => s.create(`snapshots/${EMPTY_ID}`, new Uint8Array(0)),
    SNAPSHOT_READERS,
  ),

  bounds(
    'index bit flipped',
    (l) => short(l.index2),
    (s, l) => flipByte(s.file(index2(l)), 100),
    INDEX_READERS,
  ),
  bounds(
    'index truncated',
    (l) => short(l.index2),
    (s, l) => truncate(s.file(index2(l)), 60),
    INDEX_READERS,
  ),
  bounds(
    'index sparse 3 GiB',
    (l) => short(l.index2),
    (s, l) => truncate(s.file(index2(l)), HUGE),
    undefined,
    [...INDEX_READERS, 'backup'],
  ),
  bounds(
    'index 1 under the name of index 2',
    (l) => short(l.index2),
    (s, l) => copyFile(s.file(`index/${l.index1}`), s.file(index2(l))),
    [...INDEX_READERS, 'backup'],
  ),
  bounds(
    'index of random bytes named by its hash',
    () => short(GARBAGE_ID),
    (s) => createHashed(s, 'index', GARBAGE).then(() => undefined),
    ['restore', 'check', 'repair index', 'backup'],
  ),

  bounds(
    'unindexed sparse 3 GiB pack whose tail claims a 3 GiB header',
    () => short(PACK_TAIL_ID),
    (s) => s.create(packName(PACK_TAIL_ID), GARBAGE).then(() => sparseWithTail(s.file(packName(PACK_TAIL_ID)), HUGE + 8, u32(HUGE))),
    undefined,
    ['check', 'prune', 'repair index'],
  ),
  bounds(
    'pack tail length 2^32 - 1',
    (l) => short(l.data1),
    (s, l) => overwriteTail(s.file(packName(l.data1)), u32(0xffff_ffff)),
    ['restore', 'check --read-data', 'repair index'],
  ),
  bounds(
    'pack sparse 3 GiB (data pack grown)',
    (l) => short(l.data1),
    (s, l) => truncate(s.file(packName(l.data1)), HUGE),
    ['restore', 'check', 'check --read-data', 'prune', 'repair index'],
    ['restore', 'check --read-data', 'repair index'],
  ),
  bounds(
    'tree pack sparse 3 GiB (repacked by prune)',
    (l) => short(l.tree1),
    (s, l) => truncate(s.file(packName(l.tree1)), HUGE),
    ['ls', 'forget --prune'],
    ['forget --prune'],
  ),
  bounds(
    'pack truncated',
    (l) => short(l.data1),
    (s, l) => truncateBy(s.file(packName(l.data1)), 100),
    PACK_READERS,
  ),
  bounds(
    'pack header bit flipped',
    (l) => short(l.data1),
    (s, l) => flipByte(s.file(packName(l.data1)), -20),
    ['check --read-data', 'prune', 'repair index'],
  ),
  bounds(
    'tree pack blob bit flipped',
    (l) => short(l.tree2),
    (s, l) => flipByte(s.file(packName(l.tree2)), 30),
  ),
  bounds(
    'tree pack 1 under the name of tree pack 2',
    (l) => short(l.tree2),
    (s, l) => copyFile(s.file(packName(l.tree1)), s.file(packName(l.tree2))),
    INDEX_READERS,
  ),

  {
    name: 'snapshot as a link to a file outside',
    area: 'local-backend',
    commands: ['snapshots', 'check', 'forget --prune', 'repair snapshots'],
    names: (l) => short(l.snapB),
    damage: (s, l) => linkOut(s, `snapshots/${l.snapB}`),
  },
  {
    name: 'tree pack as a link to a file outside',
    area: 'local-backend',
    commands: ['ls', 'check', 'forget --prune', 'prune', 'repair index'],
    names: (l) => short(l.tree1),
    damage: (s, l) => linkOut(s, packName(l.tree1)),
  },
  {
    name: 'data pack replaced by a FIFO',
    area: 'local-backend',
    commands: ['restore', 'check --read-data', 'prune', 'repair index'],
    names: (l) => short(l.data1),
    damage: (s, l) => fifo(s.file(packName(l.data1))),
  },
];

async function overwriteTail(file: string, tail: Uint8Array): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(tail, 0, tail.length, (await fh.stat()).size - tail.length);
  } finally {
    await fh.close();
  }
}

async function truncateBy(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'r');
  const size = (await fh.stat()).size;
  await fh.close();
  await truncate(file, size - bytes);
}

/** Moves the object's bytes to a file outside and leaves a link to it in its place. */
async function linkOut(s: Store, name: string): Promise<void> {
  const target = join(s.outside, name.replaceAll('/', '_'));
  await writeFile(target, await readFile(s.file(name)));
  await rm(s.file(name));
  await symlink(target, s.file(name));
}

async function fifo(file: string): Promise<void> {
  await rm(file);
  execFileSync('mkfifo', [file]);
}
