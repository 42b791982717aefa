/** PoolHash: SHA-256 on the libuv pool gives node:crypto's digest for any split of the input, and refuses misuse. */
import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { addon } from '../../src/core/addon.js';
import { PoolHash, sha256OnPool } from '../../src/cas/pool-hash.js';

t.test('any split into pieces and updates hashes like node:crypto', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }), { maxLength: 6 }), async (updates) => {
      const h = new PoolHash();
      for (const pieces of updates) h.update(pieces.length === 1 ? pieces[0]! : pieces);
      const want = createHash('sha256');
      for (const p of updates.flat()) want.update(p);
      return (await h.digest()) === want.digest('hex');
    }),
    { numRuns: 100 },
  );
  const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i * 7);
  t.equal(await sha256OnPool(big), createHash('sha256').update(big).digest('hex'), 'a large buffer');
  t.equal(await new PoolHash().digest(), createHash('sha256').digest('hex'), 'nothing at all');
  const tiny = Array.from({ length: 70_000 }, (_, i) => Uint8Array.of(i & 255, i >> 8));
  t.equal(
    await new PoolHash().update(tiny).digest(),
    createHash('sha256').update(Buffer.concat(tiny)).digest('hex'),
    'more pieces than one job takes',
  );
});

t.test('a spent hash and bad arguments are refused', async (t) => {
  const h = new PoolHash().update(Buffer.from('x'));
  await h.digest();
  t.throws(() => h.update(Buffer.from('y')), /already/);
  await t.rejects(h.digest(), /already/);
  const native = addon() as Record<string, (...args: unknown[]) => unknown>;
  t.throws(() => native['sha256Update']!(Buffer.alloc(3), []), TypeError, 'not a state');
  t.throws(() => native['sha256Update']!(native['sha256Init']!(), [1]), TypeError, 'not a byte array');
  t.throws(() => native['sha256Update']!(native['sha256Init']!()), TypeError, 'no pieces');
  t.throws(() => native['sha256Final']!(new Uint16Array(56)), TypeError, 'not a state');
});

t.test('the addon pool threads take SCHED_BATCH, so waking them does not preempt the JavaScript thread', async (t) => {
  await Promise.all(Array.from({ length: 8 }, () => sha256OnPool(new Uint8Array(1 << 20))));
  const { readdirSync, readFileSync } = await import('node:fs');
  // Field 41 of /proc/<pid>/task/<tid>/stat is the scheduling policy (3: SCHED_BATCH).
  const policy = (tid: string): number => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  };
  t.ok(
    readdirSync('/proc/self/task').some((tid) => policy(tid) === 3),
    'a pool thread that ran a job is SCHED_BATCH',
  );
  t.equal(policy(String(process.pid)), 0, 'the JavaScript thread keeps SCHED_OTHER');
});
