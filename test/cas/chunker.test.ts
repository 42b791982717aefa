import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import {
  chunkStream,
  Chunker,
  cutPoint,
  DEFAULT_CHUNKER_PARAMS,
  validateChunkerParams,
  type ChunkerParams,
} from '../../src/cas/chunker.js';
import { gearTable } from '../../src/cas/gear.js';
import { patternBytes } from '../helpers/bytes.js';

const SMALL: ChunkerParams = { min: 64, avg: 256, max: 1024 };
const gear = gearTable(new Uint8Array(32).fill(7));

/** FORMAT §8 written out naively, as the oracle: cut lengths of a whole buffer. */
function referenceChunks(data: Uint8Array, p: ChunkerParams): number[] {
  const b = Math.log2(p.avg);
  const maskS = Number((0xffffffffn << BigInt(32 - (b + 2))) & 0xffffffffn);
  const maskL = Number((0xffffffffn << BigInt(32 - (b - 2))) & 0xffffffffn);
  const lengths: number[] = [];
  let start = 0;
  while (start < data.length) {
    let h = 0;
    let len = 0;
    for (let pos = 1; start + pos <= data.length; pos++) {
      len = pos;
      if (pos < p.min) continue;
      h = (h * 2 + gear[data[start + pos - 1]!]!) % 2 ** 32;
      const mask = pos < p.avg ? maskS : maskL;
      if ((h & mask) >>> 0 === 0 || pos === p.max) break;
    }
    lengths.push(len);
    start += len;
  }
  return lengths;
}

function chunksOf(data: Uint8Array, splits: number[], p = SMALL): Uint8Array[] {
  const c = new Chunker(p, gear);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of [...splits].sort((x, y) => x - y)) {
    out.push(...c.push(data.subarray(at, Math.max(at, s))));
    at = Math.max(at, s);
  }
  out.push(...c.push(data.subarray(at)));
  const last = c.finish();
  if (last !== undefined) out.push(last);
  return out;
}

function boundaries(chunks: Uint8Array[]): number[] {
  let at = 0;
  return chunks.map((c) => (at += c.length));
}

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

t.test('gear table is HMAC-SHA-256(idKey, "rozen:gear" ‖ i)[0:4] little-endian', async (t) => {
  const key = randomBytes(32);
  const table = gearTable(key);
  t.equal(table.length, 256);
  for (const i of [0, 1, 255]) {
    const mac = createHmac('sha256', key)
      .update('rozen:gear')
      .update(Buffer.from([i]))
      .digest();
    t.equal(table[i], mac.readUInt32LE(0));
  }
  t.not(gearTable(randomBytes(32))[0], table[0]);
});

t.test('parameters are validated', async (t) => {
  t.doesNotThrow(() => validateChunkerParams(DEFAULT_CHUNKER_PARAMS));
  for (const p of [
    { min: 64, avg: 300, max: 1024 },
    { min: 512, avg: 256, max: 1024 },
    { min: 64, avg: 256, max: 128 },
    { min: 0, avg: 256, max: 1024 },
    { min: 1, avg: 2, max: 8 },
  ]) {
    t.throws(() => new Chunker(p, gear), { code: 'InvalidArgument' }, JSON.stringify(p));
  }
});

t.test('cutPoint and the streaming chunker match the reference', async (t) => {
  fc.assert(
    fc.property(bytes(0, 6000), fc.array(fc.nat(6000), { maxLength: 6 }), (data, splits) => {
      const expected = referenceChunks(data, SMALL);
      const lengths: number[] = [];
      for (let at = 0; at < data.length;) {
        const cut = cutPoint(data, at, data.length, SMALL, gear);
        lengths.push(cut - at);
        at = cut;
      }
      t.same(lengths, expected);
      t.same(
        chunksOf(data, splits).map((c) => c.length),
        expected,
      );
    }),
    { numRuns: 100 },
  );
});

t.test('chunks cover every byte once, in order, within [min, max] except the last', async (t) => {
  fc.assert(
    fc.property(bytes(0, 8000), fc.array(fc.nat(8000), { maxLength: 10 }), (data, splits) => {
      const chunks = chunksOf(data, splits);
      t.same(Buffer.concat(chunks), Buffer.from(data));
      chunks.forEach((c, i) => {
        t.ok(c.length <= SMALL.max);
        if (i < chunks.length - 1) t.ok(c.length >= SMALL.min);
      });
    }),
    { numRuns: 100 },
  );
});

t.test('chunks do not depend on how the input is split', async (t) => {
  fc.assert(
    fc.property(bytes(0, 8000), fc.array(fc.nat(8000), { maxLength: 20 }), (data, splits) => {
      t.same(chunksOf(data, splits), chunksOf(data, []));
    }),
    { numRuns: 100 },
  );
});

t.test('an insertion moves only nearby boundaries, and the sequence re-synchronises', async (t) => {
  const arb = fc.record({ seed: fc.integer(), at: fc.nat(16_000), insert: bytes(1, 300) });
  fc.assert(
    fc.property(arb, ({ seed, at, insert }) => {
      const data = pseudoRandom(seed, 40_000);
      const edited = Buffer.concat([data.subarray(0, at), insert, data.subarray(at)]);
      const before = boundaries(chunksOf(data, []));
      const after = boundaries(chunksOf(edited, []));
      t.same(
        after.filter((b) => b <= at),
        before.filter((b) => b <= at),
      );
      const shifted = new Set(after.map((b) => b - insert.length));
      const sync = before.find((b) => b > at && shifted.has(b));
      t.ok(sync !== undefined && sync < at + 8 * SMALL.max, 're-synchronised soon after the edit');
      t.same(
        after.filter((b) => b >= sync! + insert.length).map((b) => b - insert.length),
        before.filter((b) => b >= sync!),
      );
    }),
    { numRuns: 100 },
  );
});

t.test('chunk sizes average near avg on random data', async (t) => {
  const data = randomBytes(4 << 20);
  const chunks = chunksOf(data, []);
  const mean = data.length / chunks.length;
  t.ok(mean > SMALL.avg * 0.75 && mean < SMALL.avg * 1.5, `mean ${mean.toFixed(0)}`);
});

t.test('chunkStream yields the same chunks as the Chunker, with default parameters', async (t) => {
  const data = randomBytes(24 << 20);
  async function* pieces() {
    for (let at = 0; at < data.length; at += 65536) yield data.subarray(at, at + 65536);
  }
  const streamed: Uint8Array[] = [];
  for await (const c of chunkStream(pieces(), DEFAULT_CHUNKER_PARAMS, gear)) streamed.push(c);
  t.same(boundaries(streamed), boundaries(chunksOf(data, [], DEFAULT_CHUNKER_PARAMS)));
  t.same(Buffer.concat(streamed), data);
  for (const c of streamed.slice(0, -1)) t.ok(c.length >= DEFAULT_CHUNKER_PARAMS.min && c.length <= DEFAULT_CHUNKER_PARAMS.max);
});

t.test('an empty stream has no chunks', async (t) => {
  t.equal(new Chunker(SMALL, gear).finish(), undefined);
  t.same(chunksOf(new Uint8Array(0), []), []);
  t.equal(cutPoint(new Uint8Array(10), 10, 10, SMALL, gear), 10);
});

/** Deterministic bytes so fast-check can shrink over a seed. */
const pseudoRandom = (seed: number, n: number): Buffer => Buffer.from(patternBytes(n, seed));

t.test('the native scan matches the reference with the default parameters on large inputs', async (t) => {
  const data = new Uint8Array(24 * 1024 * 1024);
  data.set(patternBytes(12 * 1024 * 1024, 12345));
  // the second half stays zeros: cuts at the maximum chunk size
  const expected = referenceChunks(data, DEFAULT_CHUNKER_PARAMS);
  t.ok(expected.includes(DEFAULT_CHUNKER_PARAMS.max), 'zeros are cut at the maximum');
  t.same(
    chunksOf(data, [3 * 1024 * 1024, 9 * 1024 * 1024 + 5], DEFAULT_CHUNKER_PARAMS).map((c) => c.length),
    expected,
  );
});

t.test('cutAsync gives each chunk as its pieces: views of the pushed buffers, one per buffer, joined equal to push', async (t) => {
  await fc.assert(
    fc.asyncProperty(bytes(0, 6000), fc.array(fc.nat(6000), { maxLength: 6 }), async (data, splits) => {
      const c = new Chunker(SMALL, gear);
      const out: Uint8Array[][] = [];
      const pushed: Uint8Array[] = [];
      let at = 0;
      for (const s of [...splits, data.length].sort((x, y) => x - y)) {
        const buf = data.slice(at, Math.max(at, s));
        pushed.push(buf);
        out.push(...(await c.cutAsync(buf)));
        at = Math.max(at, s);
      }
      const last = c.finishPieces();
      if (last !== undefined) out.push(last);
      t.same(
        out.map((pieces) => Buffer.concat(pieces).length),
        referenceChunks(data, SMALL),
      );
      t.ok(Buffer.concat(out.flat()).equals(Buffer.from(data)), 'the pieces in order are the stream');
      for (const pieces of out) {
        const owners = pieces.map((piece) => pushed.findIndex((b) => b.buffer === piece.buffer));
        if (owners.some((o) => o < 0)) throw new Error('a piece is a copy, not a view of a pushed buffer');
        if (new Set(owners).size !== owners.length) throw new Error('two pieces of one chunk in one buffer');
      }
    }),
    { numRuns: 100 },
  );
});

t.test('pushAsync (cut points found on the thread pool) gives the chunks push gives, however the stream is split', async (t) => {
  await fc.assert(
    fc.asyncProperty(bytes(0, 6000), fc.array(fc.nat(6000), { maxLength: 6 }), async (data, splits) => {
      const c = new Chunker(SMALL, gear);
      const out: Uint8Array[] = [];
      let at = 0;
      for (const s of [...splits, data.length].sort((x, y) => x - y)) {
        out.push(...(await c.pushAsync(data.subarray(at, Math.max(at, s)))));
        at = Math.max(at, s);
      }
      const last = c.finish();
      if (last !== undefined) out.push(last);
      t.same(boundaries(out), boundaries(chunksOf(data, splits)));
      t.same(
        out.map((c) => c.length),
        referenceChunks(data, SMALL),
      );
    }),
    { numRuns: 150 },
  );
  const { addon } = await import('../../src/core/addon.js');
  const gearCuts = (addon() as { gearCuts: (...a: unknown[]) => unknown }).gearCuts;
  t.throws(
    () => gearCuts(new Uint8Array(1000), new Int32Array(2), Int32Array.of(64, 256, 1024, 0, 0), new Int32Array(256), new Int32Array(2)),
    /gearCuts\(buf/,
    'too little room for the cuts',
  );
});
