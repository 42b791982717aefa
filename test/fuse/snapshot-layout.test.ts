import t from 'tap';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import { SnapshotCatalog } from '../../src/fuse/snapshot-catalog.js';
import { buildLayout, componentName, latestName, timeDirName } from '../../src/fuse/snapshot-layout.js';
import type { Snapshot } from '../../src/core/snapshot.js';

const snap = (id: string, time: string, over: Partial<Snapshot> = {}): Snapshot => ({
  id: id.padEnd(64, '0') as SnapshotId,
  time,
  hostname: 'h',
  username: 'u',
  paths: ['/'],
  tags: [],
  tree: 'f'.repeat(64) as BlobId,
  ...over,
});

t.test('time names in UTC, in time order, with suffixes on collisions', async (t) => {
  t.equal(timeDirName('2024-05-01T12:34:56.789+02:00'), '2024-05-01T10:34:56');
  const layout = buildLayout([
    snap('c', '2024-05-01T10:00:00.900Z'),
    snap('a', '2024-05-01T10:00:00.100Z'),
    snap('b', '2024-05-01T10:00:00.100Z'),
    snap('d', '2023-01-01T00:00:00.000Z'),
  ]);
  t.same([...layout.byTime.keys()], ['2023-01-01T00:00:00', '2024-05-01T10:00:00', '2024-05-01T10:00:00-1', '2024-05-01T10:00:00-2']);
  t.same(
    [...layout.byTime.values()].map((s) => s.id[0]),
    ['d', 'a', 'b', 'c'],
  );
  t.equal(latestName(layout.byTime), '2024-05-01T10:00:00-2');
  t.equal(layout.newestMs, Date.parse('2024-05-01T10:00:00.900Z'));
});

t.test('short ids, hosts and tags', async (t) => {
  const layout = buildLayout([
    snap('1234567890', '2024-01-01T00:00:00Z', { hostname: 'web', tags: ['daily', 'a/b'] }),
    snap('1234567899', '2024-01-02T00:00:00Z', { hostname: 'db', tags: ['daily', 'daily', '..'] }),
    snap('abcdef01', '2024-01-03T00:00:00Z', { hostname: 'web' }),
  ]);
  t.same(
    [...layout.byShortId.keys()].map((k) => k.length),
    [64, 64, 8],
    'colliding prefixes fall back to the full id',
  );
  t.same([...layout.hosts.keys()], ['web', 'db']);
  t.same([...(layout.hosts.get('web')?.keys() ?? [])], ['2024-01-01T00:00:00', '2024-01-03T00:00:00']);
  t.same([...layout.tags.keys()], ['daily', 'a\\x2fb', '\\x2e\\x2e']);
  t.equal(layout.tags.get('daily')?.size, 2);
  t.equal(componentName('.'), '\\x2e');
});

t.test('the catalog re-lists at most once per refresh interval and survives a failed listing', async (t) => {
  let now = 0;
  let calls = 0;
  let fail = false;
  const snapshots = [snap('a', '2024-01-01T00:00:00Z')];
  const logs: string[] = [];
  const catalog = new SnapshotCatalog(
    {
      async listSnapshots() {
        calls++;
        if (fail) throw new Error('backend down');
        return [...snapshots];
      },
    },
    5000,
    (l) => logs.push(l),
    () => now,
  );
  t.equal(catalog.cached, undefined);
  await Promise.all([catalog.fresh(), catalog.fresh()]);
  t.equal(calls, 1, 'concurrent callers share one listing');
  snapshots.push(snap('b', '2024-01-02T00:00:00Z'));
  now = 4999;
  t.equal((await catalog.fresh()).byTime.size, 1);
  now = 5000;
  t.equal((await catalog.fresh()).byTime.size, 2);
  t.equal(calls, 2);
  fail = true;
  now = 10_000;
  t.equal((await catalog.fresh()).byTime.size, 2, 'previous layout kept');
  t.match(logs[0], /backend down/);
});
