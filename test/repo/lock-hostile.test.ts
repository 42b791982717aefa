import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import { packMsg } from '../../src/codec/msgpack.js';
import { AAD } from '../../src/crypto/sealer.js';
import { acquireLock, listLocks, removeLocks } from '../../src/repo/lock.js';
import { Repository } from '../../src/repo/repository.js';
import { sealFile } from '../../src/repo/sealed-file.js';

process.env['ROZEN_KDF_N'] = '1024';
const HOUR = 60 * 60 * 1000;
const GARBAGE = new Uint8Array(300).map((_, i) => (i * 97 + 13) & 0xff);
const name = (c: string): string => `locks/${c.repeat(64)}`;

/** A repository on a memory backend whose clock (the files' modification times) the test sets. */
async function repoAt(t: Test): Promise<{ repo: Repository; backend: MemoryBackend; clock: { now: number } }> {
  const clock = { now: Date.now() };
  const backend = new MemoryBackend({ now: () => clock.now });
  await Repository.init(backend, 'pw');
  const cacheDir = await mkdtemp(join(tmpdir(), 'rozen-lock-hostile-'));
  const repo = await Repository.open(backend, 'pw', { cacheDir });
  t.teardown(async () => {
    await repo.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  return { repo, backend, clock };
}

t.test('a garbage lock is reported and passed over by a shared lock, one line naming it', async (t) => {
  const { repo, backend } = await repoAt(t);
  await backend.put(name('a'), GARBAGE);
  const lines: string[] = [];
  const lock = await acquireLock(repo, false, (line) => lines.push(line));
  t.same(lines.length, 1, 'reported once, though the locks are listed twice');
  t.match(lines[0], `locks/${'a'.repeat(64)}`);
  t.notMatch(lines[0], '\n');
  await lock.release();
});

t.test('an exclusive lock fails on a fresh garbage lock and passes over a stale one', async (t) => {
  const { repo, backend, clock } = await repoAt(t);
  await backend.put(name('b'), GARBAGE);
  await t.rejects(
    acquireLock(repo, true, () => undefined),
    { code: 'Locked', message: /unreadable lock locks\/b{64}: .*--remove-all/ },
  );
  t.same((await listLocks(repo)).locks, [], 'its own lock was taken back');
  clock.now -= HOUR;
  await backend.put(name('b'), GARBAGE);
  const lines: string[] = [];
  const lock = await acquireLock(repo, true, (line) => lines.push(line));
  t.match(lines, [/locks\/b{64}/]);
  await lock.release();
});

t.test('unlock removes stale unreadable locks and keeps fresh ones; --remove-all removes every one', async (t) => {
  const { repo, backend, clock } = await repoAt(t);
  await backend.put(name('d'), GARBAGE);
  clock.now -= HOUR;
  await backend.put(name('c'), GARBAGE);
  const first = await removeLocks(repo, false);
  t.same(
    first.removedUnreadable.map((u) => u.id),
    ['c'.repeat(64)],
  );
  t.same(
    first.keptUnreadable.map((u) => u.id),
    ['d'.repeat(64)],
  );
  t.ok(await backend.stat(name('d')));
  t.notOk(await backend.stat(name('c')));
  const all = await removeLocks(repo, true);
  t.same(
    all.removedUnreadable.map((u) => u.id),
    ['d'.repeat(64)],
  );
  t.notOk(await backend.stat(name('d')));
});

t.test('authentic records with bad fields, another version or an oversized file are unreadable, each with a reason', async (t) => {
  const { repo, backend } = await repoAt(t);
  const sealed = (v: unknown): Uint8Array => sealFile(repo.sealer, AAD.lock, packMsg(v), false);
  const ok = { version: 1, hostname: 'h', username: 'u', pid: 1, time: Date.now(), exclusive: false };
  await backend.put(name('1'), sealed({ ...ok, hostname: 5 }));
  await backend.put(name('2'), sealed({ ...ok, version: 2 }));
  await backend.put(name('3'), sealed({ ...ok, time: 1e300 }));
  await backend.put(name('4'), sealed([1, 2]));
  await backend.put(name('5'), new Uint8Array(70 * 1024));
  await backend.put(name('6'), sealed({ ...ok, hostname: 'fine\u001b[2J' }));
  const { locks, unreadable } = await listLocks(repo);
  t.same(
    locks.map((l) => l.hostname),
    ['fine\u001b[2J'],
  );
  t.same(unreadable.map((u) => u.id[0]).sort(), ['1', '2', '3', '4', '5']);
  t.match(
    unreadable.find((u) => u.id[0] === '2'),
    { reason: /version 2/ },
  );
  t.match(
    unreadable.find((u) => u.id[0] === '5'),
    { reason: /larger than/ },
  );
  const live = await acquireLock(repo, false, () => undefined);
  const conflict = acquireLock(repo, true, () => undefined);
  await t.rejects(conflict, { code: 'Locked' });
  await live.release();
});

t.test('a conflicting lock names its holder with control characters escaped', async (t) => {
  const { repo, backend } = await repoAt(t);
  const record = { version: 1, hostname: 'evil\u001b[2J\nhost', username: 'u\u0007', pid: 1, time: Date.now() + HOUR, exclusive: true };
  await backend.put(name('e'), sealFile(repo.sealer, AAD.lock, packMsg(record), false));
  await t.rejects(
    acquireLock(repo, false, () => undefined),
    { code: 'Locked', message: /evil\\x1b\[2J\\x0ahost \(user u\\x07\)/ },
  );
});

t.test('unlock --remove-all never deletes a file in locks/ whose name the format does not define', async (t) => {
  const { repo, backend } = await repoAt(t);
  await backend.put('locks/not-a-lock-name', GARBAGE);
  await backend.put('locks/sub/deeper', GARBAGE);
  const all = await removeLocks(repo, true);
  t.same(all.removedUnreadable, [], 'nothing removed');
  t.equal(all.keptUnreadable.length, 2, 'both reported as kept');
  t.ok(await backend.stat('locks/not-a-lock-name'));
  t.ok(await backend.stat('locks/sub/deeper'));
});
