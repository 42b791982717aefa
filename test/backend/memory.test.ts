import t from 'tap';
import { MemoryBackend, namedMemoryBackend, resetMemoryBackends } from '../../src/backend/memory.js';
import { runConformance } from './conformance.js';

runConformance(t, async () => new MemoryBackend());

t.test('mtime comes from the injected clock', async (t) => {
  let now = 1_000;
  const b = new MemoryBackend({ now: () => now });
  await b.put('a', new Uint8Array(3));
  now = 2_000;
  await b.put('b', new Uint8Array(4));
  t.equal((await b.stat('a'))?.mtimeMs, 1_000);
  t.equal((await b.stat('b'))?.mtimeMs, 2_000);
  t.equal(b.totalBytes, 7);
});

t.test('named backends are shared until reset', async (t) => {
  const a = namedMemoryBackend('shared');
  await a.put('config', new Uint8Array([1]));
  await a.close();
  t.equal(namedMemoryBackend('shared'), a);
  t.equal((await namedMemoryBackend('shared').stat('config'))?.size, 1);
  resetMemoryBackends('shared');
  t.equal(await namedMemoryBackend('shared').stat('config'), undefined);
  t.equal(namedMemoryBackend('shared').location, 'memory://shared');
  resetMemoryBackends();
});
