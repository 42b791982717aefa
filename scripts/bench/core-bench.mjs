/**
 * Storage-core microbenchmark: MB/s on one core for keyed hashing, sealing, opening, zstd,
 * chunking, and pack write/read through the local backend. Run after `npm run build`:
 *   node scripts/bench/core-bench.mjs            (SIZE_MB=256 by default, REPEAT=5, median printed)
 * Targets on the project machine, one core: sealing ≥ 600 MB/s, keyed hashing ≥ 1000 MB/s,
 * chunking ≥ 500 MB/s. The LevelDB index benchmark is scripts/bench/index-bench.mjs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../dist/backend/local.js';
import { Chunker, DEFAULT_CHUNKER_PARAMS } from '../../dist/cas/chunker.js';
import { gearTable } from '../../dist/cas/gear.js';
import { PackWriter } from '../../dist/cas/pack-writer.js';
import { readBlob, readPack } from '../../dist/cas/pack-reader.js';
import { decodeFrame, encodeFrame } from '../../dist/codec/frame.js';
import { blobIdOf } from '../../dist/crypto/blob-id.js';
import { generateMasterKey } from '../../dist/crypto/master-key.js';
import { Sealer } from '../../dist/crypto/sealer.js';

const MB = 1e6;
const MiB = 1 << 20;
const SIZE = Number(process.env.SIZE_MB ?? 256) * MiB;
const REPEAT = Number(process.env.REPEAT ?? 5);
const BLOB = MiB;

const key = generateMasterKey();
const sealer = new Sealer(key.encKey);
const random = randomBytes(SIZE);
const words = 'const let return function import export class async await pack index tree blob snapshot chunk\n'.split(' ');
/** 1 MiB of source-like text (each blob is compressed on its own, so repeating it is realistic). */
function textBlock() {
  const out = Buffer.alloc(MiB);
  let at = 0;
  let x = 12345;
  for (; at < MiB;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    at += out.write(`${words[(x >>> 16) % words.length]}${(x & 7) === 0 ? (x >>> 8) % 1000 : ''} `, at);
  }
  return out;
}
const block = textBlock();
const text = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += MiB) block.copy(text, i);
const blobsOf = (buf) => Array.from({ length: buf.length / BLOB }, (_, i) => buf.subarray(i * BLOB, (i + 1) * BLOB));

/** CPU time of the process (one thread does the work), as MB/s for `bytes`. */
async function measure(bytes, fn) {
  const rates = [];
  for (let r = 0; r < REPEAT; r++) {
    const u0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const u = process.cpuUsage(u0);
    const cpu = (u.user + u.system) / 1e6;
    rates.push({ cpu: bytes / MB / cpu, wall: bytes / MB / wall });
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { cpu: median(rates.map((x) => x.cpu)), wall: median(rates.map((x) => x.wall)) };
}

const rows = [];
const row = (name, r, target) => rows.push({ name, ...r, target });

const randomBlobs = blobsOf(random);
const textBlobs = blobsOf(text);
row('keyed hashing (HMAC-SHA-256, 1 MiB)', await measure(SIZE, () => randomBlobs.forEach((b) => blobIdOf(key.idKey, b))), 1000);
const aad = new Uint8Array(32);
let sealed = [];
row(
  'sealing (XChaCha20-Poly1305, 1 MiB)',
  await measure(SIZE, () => {
    sealed = randomBlobs.map((b) => sealer.seal(b, aad));
  }),
  600,
);
row('opening (1 MiB)', await measure(SIZE, () => sealed.forEach((s) => sealer.open(s, aad))));
let frames = [];
row(
  'zstd level 3 compress, text',
  await measure(SIZE, () => {
    frames = textBlobs.map((b) => encodeFrame(b, 3));
  }),
);
row('zstd decompress, text', await measure(SIZE, () => frames.forEach((f) => decodeFrame(f, BLOB))));
row('zstd level 3 on random (stored raw)', await measure(SIZE, () => randomBlobs.forEach((b) => encodeFrame(b, 3))));
const gear = gearTable(key.idKey);
row(
  'chunking (FastCDC, 512K/1M/8M)',
  await measure(SIZE, () => {
    const c = new Chunker(DEFAULT_CHUNKER_PARAMS, gear);
    for (let i = 0; i < SIZE; i += 8 * MiB) c.push(random.subarray(i, i + 8 * MiB));
    c.finish();
  }),
  500,
);

const dir = await mkdtemp(join(tmpdir(), 'rozen-core-bench-'));
try {
  const backend = new LocalBackend(dir);
  const packBlobs = sealed.map((s, i) => ({ id: blobIdOf(key.idKey, randomBlobs[i]), s }));
  let packs = [];
  row(
    'pack write (16 MiB packs, local backend)',
    await measure(SIZE, async () => {
      packs = [];
      let w = new PackWriter(backend, sealer, 0);
      for (const b of packBlobs) {
        w.add(b.id, 0, b.s, BLOB);
        if (w.size >= 16 * MiB) {
          packs.push(await w.finish());
          w = new PackWriter(backend, sealer, 0);
        }
      }
      if (w.count > 0) packs.push(await w.finish());
    }),
  );
  row(
    'pack read whole + verify (local backend)',
    await measure(SIZE, async () => {
      for (const p of packs) await readPack(backend, sealer, p.id);
    }),
  );
  row(
    'blob read, 1 MiB ranged (local backend)',
    await measure(SIZE, async () => {
      for (const p of packs) for (const b of p.blobs) await readBlob(backend, { pack: p.id, ...b });
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(`core microbenchmark: ${SIZE / MiB} MiB per run, median of ${REPEAT}; MB/s = 10^6 bytes per CPU second (and per wall second)`);
console.log('operation'.padEnd(44) + 'MB/s cpu'.padStart(10) + 'MB/s wall'.padStart(11) + '  target');
for (const r of rows) {
  const verdict = r.target ? `  ≥ ${r.target} ${r.cpu >= r.target ? 'PASS' : 'FAIL'}` : '';
  console.log(r.name.padEnd(44) + r.cpu.toFixed(0).padStart(10) + r.wall.toFixed(0).padStart(11) + verdict);
}
