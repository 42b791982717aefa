/** openPair: two repositories opened at once, passwords read one after the other, and nothing left open on failure. */
import t from 'tap';
import { openPair, type PasswordTurn } from '../../src/cli/context.js';
import type { Repository } from '../../src/repo/repository.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A repository opener that waits `before` ms, reads its password, then takes `after` ms, logging each step. */
function opener(name: string, log: string[], o: { before: number; after: number; fail?: 'before' | 'password' | 'after' }) {
  return async (turn: PasswordTurn): Promise<Repository> => {
    await tick(o.before);
    if (o.fail === 'before') throw new Error(`${name} not found`);
    const password = await turn(async () => {
      log.push(`${name} asks`);
      await tick(5);
      if (o.fail === 'password') throw new Error(`${name} password`);
      log.push(`${name} answered`);
      return `${name}-pw`;
    })();
    log.push(`${name} has ${password}`);
    await tick(o.after);
    if (o.fail === 'after') throw new Error(`${name} wrong password`);
    return { close: async () => void log.push(`${name} closed`) } as unknown as Repository;
  };
}

t.test('the second password is asked after the first, however fast the second repository is found', async (t) => {
  const log: string[] = [];
  const [a, b] = await openPair(opener('src', log, { before: 20, after: 20 }), opener('dst', log, { before: 0, after: 0 }));
  t.ok(a && b);
  t.same(log.slice(0, 3), ['src asks', 'src answered', 'dst asks']);
});

t.test('the derivations overlap', async (t) => {
  const log: string[] = [];
  const started = Date.now();
  await openPair(opener('src', log, { before: 0, after: 60 }), opener('dst', log, { before: 0, after: 60 }));
  t.ok(Date.now() - started < 110, `both opened in ${Date.now() - started} ms`);
});

t.test('when the first fails, the second asks nothing and whatever opened is closed', async (t) => {
  for (const fail of ['before', 'password'] as const) {
    const log: string[] = [];
    await t.rejects(openPair(opener('src', log, { before: 10, after: 0, fail }), opener('dst', log, { before: 0, after: 0 })), {
      message: fail === 'before' ? 'src not found' : 'src password',
    });
    t.notOk(log.includes('dst asks'), `${fail}: no prompt for the destination`);
  }
  const log: string[] = [];
  await t.rejects(openPair(opener('src', log, { before: 0, after: 30, fail: 'after' }), opener('dst', log, { before: 0, after: 0 })), {
    message: 'src wrong password',
  });
  t.ok(log.includes('dst closed'), 'the destination that opened is closed');
  const log2: string[] = [];
  await t.rejects(openPair(opener('src', log2, { before: 0, after: 0 }), opener('dst', log2, { before: 0, after: 0, fail: 'after' })), {
    message: 'dst wrong password',
  });
  t.ok(log2.includes('src closed'), 'the source that opened is closed');
});
