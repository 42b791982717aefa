/** A walk started ahead of its consumer: the same events and errors in the same order, a bounded buffer, stop. */
import t from 'tap';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WalkAhead } from '../../src/snapshot/fs/walk-ahead.js';
import { type WalkEvent, walk } from '../../src/snapshot/fs/walk.js';
import { until } from '../helpers/wait.js';

const base = await mkdtemp(join(tmpdir(), 'rzahead-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
for (let d = 0; d < 20; d++) {
  await mkdir(join(base, `d${d}`, 'sub'), { recursive: true });
  for (let f = 0; f < 10; f++) await writeFile(join(base, `d${d}`, `f${f}`), `${d}/${f}`);
}
await mkdir(join(base, 'locked'));
await writeFile(join(base, 'locked', 'x'), '');
await chmod(join(base, 'locked'), 0o000);
t.teardown(() => chmod(join(base, 'locked'), 0o755));
const asRoot = process.getuid?.() === 0;

const line = (e: WalkEvent): string => `${e.kind} ${e.path.toString()}`;

async function direct(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walk([base], { onError: (p, err) => out.push(`error ${p.toString()} ${err.message}`) })) out.push(line(e));
  return out;
}

async function ahead(w: WalkAhead, pauseMs = 0): Promise<string[]> {
  const out: string[] = [];
  for await (const e of w.events((p, err) => out.push(`error ${p.toString()} ${err.message}`))) {
    out.push(line(e));
    if (pauseMs > 0 && out.length % 50 === 0) await sleep(pauseMs);
  }
  return out;
}

/** Waits until the walk has paused for its buffer or ended, and says which. */
async function settled(w: WalkAhead): Promise<'paused' | 'ended'> {
  await until(() => w.state !== 'walking', 'the walk pauses or ends');
  return w.state as 'paused' | 'ended';
}

t.test('the same events and errors, in order, whether taken late or at once', async (t) => {
  const want = await direct();
  t.ok(want.length > 250);
  if (!asRoot)
    t.ok(
      want.some((l) => l.startsWith('error ')),
      'an unreadable directory is reported',
    );
  const late = new WalkAhead([base], {});
  t.equal(await settled(late), 'ended', 'the walk ends before its consumer arrives');
  t.strictSame(await ahead(late), want);
  t.strictSame(await ahead(new WalkAhead([base], {})), want, 'taken as they come');
});

t.test('a small limit pauses the walk until events are taken', async (t) => {
  const w = new WalkAhead([base], {}, 8, 8);
  t.equal(await settled(w), 'paused', 'paused with the buffer full');
  t.strictSame(await ahead(w, 1), await direct(), 'every event once taken');
});

t.test('stop ends the walk; the consumer sees the end', async (t) => {
  const w = new WalkAhead([base], {}, 4, 4);
  t.equal(await settled(w), 'paused');
  w.stop();
  const got = await ahead(w);
  t.equal(w.state, 'ended');
  t.ok(got.length <= 6, `at most the buffered events (${got.length})`);
});

t.test('before the consumer starts, the walk runs further ahead (the key derivation overlaps more of it)', async (t) => {
  const w = new WalkAhead([base], {}, 4, 100);
  t.equal(await settled(w), 'paused');
  w.stop();
  const got = await ahead(w);
  t.ok(got.length > 6 && got.length <= 102, `the start limit, not the running one, held it (${got.length})`);
});

t.test('a walk that fails passes the failure to the consumer', async (t) => {
  const w = new WalkAhead([42 as unknown as string], {});
  await t.rejects(async () => {
    for await (const _ of w.events(() => undefined)) t.fail('no events');
  }, TypeError);
});
