import t from 'tap';
import { randomBytes } from 'node:crypto';
import { CompressionPolicy } from '../../src/codec/policy.js';
import { encodeFrame } from '../../src/codec/frame.js';

const text = (n: number): Uint8Array => {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'backup', '\n', 'snapshot', 'index'];
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[(i * 5 + (i >> 2)) % words.length] + ' ';
  return new TextEncoder().encode(s.slice(0, n));
};

/** One blob through the policy as a backup would do it. */
function store(policy: CompressionPolicy, ext: string, data: Uint8Array): false | number {
  const level = policy.decide(ext, data.subarray(0, 64 * 1024));
  policy.record(ext, data.length, encodeFrame(data, level).length, level !== false);
  return level;
}

t.test("'off' never compresses, 'max' always uses the max level", async (t) => {
  const off = new CompressionPolicy('off');
  t.equal(store(off, 'txt', text(1000)), false);
  t.equal(off.figures()['txt']?.skipped, 1);
  const max = new CompressionPolicy('max');
  t.equal(store(max, 'jpg', randomBytes(1000)), 19);
  t.equal(new CompressionPolicy('max', { maxLevel: 12 }).decide('', randomBytes(10)), 12);
});

t.test('auto compresses text and skips random data', async (t) => {
  const policy = new CompressionPolicy('auto');
  t.equal(store(policy, 'txt', text(200_000)), 3);
  t.equal(store(policy, 'bin', randomBytes(200_000)), false);
  t.equal(new CompressionPolicy('auto', { level: 7 }).decide('TXT', text(1000)), 7);
  t.equal(policy.decide('', new Uint8Array(0)), false, 'nothing to compress');
});

t.test('a kind judged incompressible stops being probed, and is re-probed now and then', async (t) => {
  const policy = new CompressionPolicy('auto', { reprobeEvery: 8 });
  for (let i = 0; i < 4; i++) t.equal(store(policy, 'JPG', randomBytes(100_000)), false);
  // Text under a known-incompressible extension: skipped until a re-probe notices.
  const decisions: (false | number)[] = [];
  for (let i = 0; i < 8; i++) decisions.push(store(policy, 'jpg', text(100_000)));
  t.same(decisions.slice(0, 7), Array<false>(7).fill(false), 'trusts the evidence between probes');
  t.equal(decisions[7], 3, 'the re-probe heals the verdict');
  t.equal(store(policy, 'jpg', text(100_000)), 3, 'and it sticks');
  const f = policy.figures()['jpg'];
  t.equal(f?.blobs, 13);
  t.equal(f?.skipped, 11);
});

t.test('evidence from whole blobs overrides a good probe of the head', async (t) => {
  const policy = new CompressionPolicy('auto');
  const size = 2 * 1024 * 1024;
  const blob = (): Uint8Array => {
    const b = new Uint8Array(size);
    b.set(text(64 * 1024), 0);
    b.set(randomBytes(size - 64 * 1024), 64 * 1024);
    return b;
  };
  t.equal(store(policy, 'mix', blob()), 3, 'the head looks compressible');
  const later = [1, 2, 3].map(() => store(policy, 'mix', blob()));
  t.same(later.slice(1), [false, false], 'the whole-blob ratio soon says no');
});

t.test('without the attempted flag, raw frames of skipped blobs are not taken as evidence', async (t) => {
  const policy = new CompressionPolicy('auto');
  const bigRandom = randomBytes(2 * 1024 * 1024);
  const level = policy.decide('dat', bigRandom.subarray(0, 64 * 1024));
  t.equal(level, false);
  policy.record('dat', bigRandom.length, encodeFrame(bigRandom, level).length);
  t.equal(policy.decide('dat', text(100_000)), 3, 'still probing: one skipped blob is not 2 MiB of evidence');
  const textFrame = encodeFrame(text(100_000), 3).length;
  policy.record('dat', 100_000, textFrame);
  const raw = bigRandom.length + 100_000;
  t.same(policy.figures()['dat'], { raw, stored: bigRandom.length + 1 + textFrame, blobs: 2, skipped: 1 });
});
