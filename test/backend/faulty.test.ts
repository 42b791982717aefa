import t from 'tap';
import { FaultyBackend } from '../../src/backend/faulty.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { isRozenError } from '../../src/core/errors.js';
import { runConformance } from './conformance.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

runConformance(t, async () => new FaultyBackend(new MemoryBackend()));

t.test('fail the nth matching call only', async (t) => {
  const inner = new MemoryBackend();
  const b = new FaultyBackend(inner);
  b.addRule({ op: 'put', match: /^packs\//, nth: 2, action: 'fail' });
  await b.put('packs/1', enc('a'));
  await b.put('index/1', enc('x'));
  await t.rejects(b.put('packs/2', enc('b')), { code: 'BackendError', message: /injected fault: put packs\/2/ });
  await b.put('packs/3', enc('c'));
  t.same(await inner.stat('packs/2'), undefined);
  t.equal(b.count('put'), 4);
  t.equal(b.count('*'), 4);
  t.same(
    b.calls.map((c) => c.name),
    ['packs/1', 'index/1', 'packs/2', 'packs/3'],
  );
  b.clearCalls();
  t.equal(b.count('*'), 0);
});

t.test('times and wildcard rules; clearRules', async (t) => {
  const b = new FaultyBackend(new MemoryBackend());
  await b.put('x', enc('x'));
  b.addRule({ op: '*', action: 'fail', times: 2 });
  await t.rejects(b.stat('x'));
  await t.rejects(b.get('x'));
  t.equal(dec(await b.get('x')), 'x');
  b.addRule({ op: 'delete', action: 'fail' });
  await t.rejects(b.delete('x'));
  await t.rejects(b.delete('x'));
  b.clearRules();
  await b.delete('x');
  t.equal(b.count('delete'), 3);
  t.equal(b.count('get'), 2);
});

t.test('list, rename and stat faults', async (t) => {
  const b = new FaultyBackend(new MemoryBackend());
  await b.put('a/1', enc('1'));
  b.addRule({ op: 'list', action: 'fail', times: 1 });
  await t.rejects(
    async () => {
      for await (const _ of b.list('a/')) t.fail('should not list');
    },
    { code: 'BackendError' },
  );
  b.addRule({ op: 'rename', match: /^packs\//, action: 'truncate' });
  await t.rejects(b.rename('a/1', 'packs/1'), { code: 'BackendError' }, 'match applies to the target too');
  await b.rename('a/1', 'b/1');
  t.same(b.calls.at(-1), { op: 'rename', name: 'a/1', to: 'b/1' });
  b.addRule({ op: 'stat', action: 'corrupt' });
  await t.rejects(b.stat('b/1'));
});

t.test('truncate and corrupt reads', async (t) => {
  const b = new FaultyBackend(new MemoryBackend());
  await b.put('p', enc('0123456789'));
  b.addRule({ op: 'get', action: 'truncate', times: 1 });
  t.equal(dec(await b.get('p')), '01234');
  b.addRule({ op: 'get', action: 'corrupt', times: 1 });
  const got = await b.get('p', { offset: 0, length: 4 });
  t.equal(got.byteLength, 4);
  t.not(dec(got), '0123');
  t.equal(got.filter((x, i) => x !== enc('0123')[i]).length, 1, 'exactly one byte differs');
  t.equal(dec(await b.get('p')), '0123456789', 'stored data untouched');
  t.same(b.calls[2], { op: 'get', name: 'p', range: { offset: 0, length: 4 } });
});

t.test('truncate and corrupt writes', async (t) => {
  const inner = new MemoryBackend();
  const b = new FaultyBackend(inner);
  b.addRule({ op: 'put', nth: 1, action: 'truncate' });
  async function* src(): AsyncGenerator<Uint8Array> {
    yield enc('abcd');
    yield enc('efgh');
  }
  await t.rejects(b.put('t', src()), { code: 'BackendError' });
  t.equal(dec(await inner.get('t')), 'abcd', 'half of the data was stored');
  b.addRule({ op: 'put', action: 'corrupt', times: 1 });
  await b.put('c', enc('zzzz'));
  t.not(dec(await inner.get('c')), 'zzzz');
  await b.put('c', enc('zzzz'));
  t.equal(dec(await inner.get('c')), 'zzzz');
});

t.test('delay then succeed', async (t) => {
  const b = new FaultyBackend(new MemoryBackend());
  b.addRule({ op: 'put', action: 'delay', delayMs: 30 });
  const start = Date.now();
  await b.put('d', enc('d'));
  t.ok(Date.now() - start >= 25);
  t.equal(dec(await b.get('d')), 'd');
});

t.test('failing at every call position', async (t) => {
  // A small "workload": every position must surface as a BackendError and never corrupt state silently.
  const workload = async (b: FaultyBackend): Promise<void> => {
    await b.put('tmp/x', enc('payload'));
    await b.rename('tmp/x', 'packs/x');
    await b.put('index/1', enc('packs/x'));
    for await (const _ of b.list('index/')) void _;
    await b.get('packs/x', { offset: 0, length: 3 });
    await b.delete('index/1');
  };
  const probe = new FaultyBackend(new MemoryBackend());
  await workload(probe);
  const total = probe.count('*');
  t.equal(total, 6);
  for (let nth = 1; nth <= total; nth++) {
    const b = new FaultyBackend(new MemoryBackend());
    b.addRule({ op: '*', nth, action: 'fail' });
    const err: unknown = await workload(b).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isRozenError(err, 'BackendError'), `position ${nth}`);
    t.equal(b.count('*'), nth, `stopped at ${nth}`);
  }
});
