/**
 * Index cache benchmark: 5,000,000 entries, build time, lookup rates, peak RSS.
 * Run after `npm run build`: `node scripts/bench/index-bench.mjs` (ENTRIES=… for a smaller run).
 * It re-runs itself under `--max-semi-space-size=2`, so that the figure is the index cache's own memory
 * (without it V8 lets its young generation grow to 32 MB of garbage; rozen itself runs with 8);
 * INDEX_BENCH_PLAIN=1 skips that.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexCache } from '../../dist/cas/index-cache.js';
import { BlobIndex } from '../../dist/cas/blob-index.js';
import { MemoryBackend } from '../../dist/backend/memory.js';

const SEMI_SPACE_FLAG = '--max-semi-space-size=2';
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && !process.env.INDEX_BENCH_PLAIN) {
  const args = [SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)];
  process.exit(spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1);
}

const ENTRIES = Number(process.env.ENTRIES ?? 5_000_000);
const INDEX_FILES = 100;
const PACKS = 5_000;
const RSS_LIMIT_MB = 150;
const BLOBS_PER_PACK = ENTRIES / PACKS;
const PACKS_PER_FILE = PACKS / INDEX_FILES;
const SAMPLE_EVERY = 100;

const mb = (bytes) => Math.round(bytes / 1048576);
const hex = (buf, i) => buf.toString('hex', i * 32, i * 32 + 32);

function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0);
  const { heapTotal, external } = process.memoryUsage();
  return {
    rss: kb('VmRSS') >> 10,
    anon: kb('RssAnon') >> 10,
    file: kb('RssFile') >> 10,
    peak: kb('VmHWM') >> 10,
    heap: mb(heapTotal),
    external: mb(external),
  };
}

/** One index file's body (FORMAT §7) with PACKS_PER_FILE packs of random ids, as read from a repository. */
function makeIndexBody(sample) {
  const body = Buffer.alloc(5 + PACKS_PER_FILE * (43 + 47 * BLOBS_PER_PACK));
  body.writeUInt8(1, 0);
  body.writeUInt32LE(PACKS_PER_FILE, 1);
  let at = 5;
  for (let p = 0; p < PACKS_PER_FILE; p++) {
    at += randomBytes(32).copy(body, at);
    body.writeUInt8(0, at);
    body.writeUIntLE(BLOBS_PER_PACK * 16384 + 300, at + 1, 6);
    body.writeUInt32LE(BLOBS_PER_PACK, at + 7);
    at += 11;
    const ids = randomBytes(32 * BLOBS_PER_PACK);
    for (let b = 0; b < BLOBS_PER_PACK; b++) {
      at += ids.copy(body, at, b * 32, b * 32 + 32);
      if (sample.count++ % SAMPLE_EVERY === 0) sample.ids.push(hex(ids, b));
      body.writeUInt8(0, at);
      body.writeUIntLE(b * 16384, at + 1, 6);
      body.writeUInt32LE(16384, at + 7);
      body.writeUInt32LE(20000, at + 11);
      at += 15;
    }
  }
  return body;
}

/** The same as pack descriptions, as a backup hands them to BlobIndex.addPack. */
function makePacks(n) {
  const packs = [];
  for (let p = 0; p < n; p++) {
    const ids = randomBytes(32 * (BLOBS_PER_PACK + 1));
    const blobs = [];
    for (let b = 0; b < BLOBS_PER_PACK; b++) {
      blobs.push({ id: hex(ids, b + 1), type: 0, offset: b * 16384, length: 16384, rawLength: 20000 });
    }
    packs.push({ id: hex(ids, 0), kind: 0, size: BLOBS_PER_PACK * 16384 + 300, blobs });
  }
  return packs;
}

async function build(cache, sample) {
  const start = performance.now();
  for (let f = 0; f < INDEX_FILES; f++) {
    await cache.absorbBody(randomBytes(32).toString('hex'), makeIndexBody(sample));
    if (f % 20 === 19) console.log(`  absorbed ${f + 1}/${INDEX_FILES} index files`, memory());
  }
  return (performance.now() - start) / 1000;
}

async function rate(label, n, fn) {
  const start = performance.now();
  await fn();
  const secs = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(44)} ${Math.round(n / secs).toLocaleString('en')} lookups/s`);
}

const absentIds = (n) => Array.from({ length: n }, () => randomBytes(32).toString('hex'));

async function lookups(cache, present) {
  const absent = absentIds(present.length);
  const single = Math.min(20_000, present.length);
  await rate('get, one awaited at a time, present', single, async () => {
    for (let i = 0; i < single; i++) if ((await cache.get(present[i])) === undefined) throw new Error('missing');
  });
  await rate('get, one awaited at a time, absent', single, async () => {
    for (let i = 0; i < single; i++) if ((await cache.get(absent[i])) !== undefined) throw new Error('found');
  });
  for (const [label, ids, want] of [
    ['present', present, true],
    ['absent', absent, false],
  ]) {
    await rate(`getMany, batches of 1000, ${label}`, ids.length, async () => {
      for (let i = 0; i < ids.length; i += 1000) {
        const found = await cache.getMany(ids.slice(i, i + 1000));
        if (found.some((l) => (l !== undefined) !== want)) throw new Error('wrong answer');
      }
    });
  }
}

async function pendingLookups(dir) {
  const sealer = { seal: (p) => p, open: (s) => s };
  const index = await BlobIndex.open(new MemoryBackend(), sealer, dir);
  const ids = [];
  for (const pack of makePacks(PACKS_PER_FILE)) {
    index.addPack(pack);
    for (const b of pack.blobs) ids.push(b.id);
  }
  const n = ids.length;
  await rate(`BlobIndex.has, pending (${n.toLocaleString('en')} pending)`, n, async () => {
    for (const id of ids) if (!(await index.has(id))) throw new Error('missing');
  });
  await rate('BlobIndex.lookup, pending', n, async () => {
    for (const id of ids) if ((await index.lookup(id)) === undefined) throw new Error('missing');
  });
  const start = performance.now();
  await index.flush();
  console.log(`BlobIndex.flush of ${n.toLocaleString('en')} blobs: ${((performance.now() - start) / 1000).toFixed(2)} s`);
  await rate('BlobIndex.has, flushed (written-this-run set)', n, async () => {
    for (const id of ids) if (!(await index.has(id))) throw new Error('missing');
  });
  await index.close();
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-index-bench-'));
  try {
    console.log(`node ${process.execArgv.join(' ')}`);
    console.log(`building a cache of ${ENTRIES.toLocaleString('en')} entries in ${PACKS} packs, ${INDEX_FILES} index files`);
    const cache = await IndexCache.open(join(dir, 'cache'));
    const sample = { ids: [], count: 0 };
    const secs = await build(cache, sample);
    console.log(`build: ${secs.toFixed(1)} s (${Math.round(ENTRIES / secs).toLocaleString('en')} entries/s)`, memory());
    await lookups(cache, sample.ids);
    await cache.close();
    console.log('after lookups', memory());
    await pendingLookups(join(dir, 'pending'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const peak = mb(process.resourceUsage().maxRSS * 1024);
  console.log(`peak RSS: ${peak} MB (limit ${RSS_LIMIT_MB} MB)`);
  if (peak > RSS_LIMIT_MB) process.exitCode = 1;
}

await main().catch((e) => {
  console.error(e, e.cause);
  process.exitCode = 1;
});
