/** Keep policies: which snapshots each rule keeps and the reasons given, grouping, durations. */
import t from 'tap';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import { parseDuration, subtractDuration } from '../../src/lifecycle/duration.js';
import { applyPolicy, groupSnapshots, isEmptyPolicy } from '../../src/lifecycle/forget-policy.js';
import type { Snapshot } from '../../src/core/snapshot.js';

process.env['TZ'] = 'UTC';

let n = 0;
const snap = (time: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  id: String(++n).padStart(64, '0') as SnapshotId,
  time,
  hostname: 'h',
  username: 'u',
  paths: ['/data'],
  tags: [],
  tree: '0'.repeat(64) as BlobId,
  ...extra,
});

const days = [
  '2024-01-01T10:00:00.000Z',
  '2024-01-01T20:00:00.000Z',
  '2024-01-02T10:00:00.000Z',
  '2024-01-03T09:00:00.000Z',
  '2024-01-03T11:00:00.000Z',
  '2024-01-10T08:00:00.000Z',
  '2024-02-05T08:00:00.000Z',
].map((x) => snap(x));
const times = (xs: readonly { time: string }[]): string[] => xs.map((x) => x.time.slice(0, 13));

t.test('keep-last keeps the newest n', async (t) => {
  const r = applyPolicy(days, { last: 2 });
  t.same(times(r.keep.map((k) => k.snapshot)), ['2024-01-10T08', '2024-02-05T08']);
  t.same(r.keep[0]!.reasons, ['last snapshot']);
  t.equal(r.remove.length, 5);
  t.equal(applyPolicy(days, { last: -1 }).remove.length, 0, '-1 keeps all');
});

t.test('keep-daily keeps the newest of each of the last n days with a snapshot', async (t) => {
  const r = applyPolicy(days, { daily: 3 });
  t.same(times(r.keep.map((k) => k.snapshot)), ['2024-01-03T11', '2024-01-10T08', '2024-02-05T08']);
  t.same(
    r.keep.map((k) => k.reasons),
    [['daily snapshot'], ['daily snapshot'], ['daily snapshot']],
  );
});

t.test('weekly, monthly and yearly buckets; reasons accumulate', async (t) => {
  const r = applyPolicy(days, { last: 1, weekly: 2, monthly: 2, yearly: 1 });
  const newest = r.keep.at(-1)!;
  t.same(newest.reasons, ['last snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot']);
  t.same(times(r.keep.map((k) => k.snapshot)), ['2024-01-10T08', '2024-02-05T08']);
  t.same(times(applyPolicy(days, { hourly: 2 }).keep.map((k) => k.snapshot)), ['2024-01-10T08', '2024-02-05T08']);
});

t.test('keep-within and keep-tag', async (t) => {
  const tagged = [...days, snap('2023-06-01T00:00:00.000Z', { tags: ['important'] })];
  const r = applyPolicy(tagged, { within: parseDuration('1m'), tags: ['important'] });
  t.same(times(r.keep.map((k) => k.snapshot)), ['2023-06-01T00', '2024-01-10T08', '2024-02-05T08']);
  t.same(r.keep[0]!.reasons, ['tagged important']);
  t.same(r.keep[1]!.reasons, ['within']);
});

t.test('groups by host and sorted paths', async (t) => {
  const gs = groupSnapshots([
    snap('2024-01-01T00:00:00Z', { paths: ['/b', '/a'] }),
    snap('2024-01-02T00:00:00Z', { paths: ['/a', '/b'] }),
    snap('2024-01-03T00:00:00Z', { hostname: 'other', paths: ['/a', '/b'] }),
  ]);
  t.equal(gs.length, 2);
  t.same(
    gs.map((g) => [g.hostname, g.paths, g.snapshots.length]),
    [
      ['h', ['/a', '/b'], 2],
      ['other', ['/a', '/b'], 1],
    ],
  );
});

t.test('durations', async (t) => {
  t.same(parseDuration('1y2m3d4h'), { years: 1, months: 2, days: 3, hours: 4 });
  t.same(parseDuration('2w'), { years: 0, months: 0, days: 14, hours: 0 });
  t.throws(() => parseDuration('3x'), { code: 'InvalidArgument' });
  t.throws(() => parseDuration(''), { code: 'InvalidArgument' });
  t.equal(subtractDuration(new Date('2024-03-31T12:00:00Z'), parseDuration('1d2h')).toISOString(), '2024-03-30T10:00:00.000Z');
  t.ok(isEmptyPolicy({}));
  t.notOk(isEmptyPolicy({ tags: ['x'] }));
});
