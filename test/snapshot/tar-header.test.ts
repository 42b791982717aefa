import t from 'tap';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Node } from '../../src/snapshot/node.js';
import { TAR_END, devMajor, devMinor, paxRecord, tarHeader } from '../../src/snapshot/dump/tar-header.js';
import { makedev } from './fs-fixture.js';
import { node as testNode } from '../helpers/node.js';

const run = promisify(execFile);

const node = (over: Partial<Node>): Node => testNode('x', 'file', { device: 0, inode: 0, ...over });

t.test('a pax record counts its own length, across digit boundaries', async (t) => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 2000 }), (key, value) => {
      const rec = paxRecord(key, Buffer.from(value));
      const len = Number(rec.subarray(0, rec.indexOf(0x20)).toString());
      return len === rec.length && rec.at(-1) === 0x0a;
    }),
  );
  t.equal(paxRecord('a', Buffer.alloc(93)).length, 99);
  t.equal(paxRecord('a', Buffer.alloc(94)).length, 101, '99 + 1 byte needs a third digit');
});

t.test('device numbers split as glibc does', async (t) => {
  for (const [major, minor] of [
    [1, 3],
    [7, 200],
    [259, 70000],
  ] as const) {
    t.equal(devMajor(makedev(major, minor)), major);
    t.equal(devMinor(makedev(major, minor)), minor);
  }
});

t.test('GNU tar reads the values ustar cannot hold from the pax header', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-tar-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const long = Buffer.from(`${'d/'.repeat(100)}file`);
  const entries = [
    tarHeader({ path: long, node: node({ uid: 3_000_000, gid: 5_000_000, user: 'u'.repeat(40), group: 'g', mtimeNs: -1_500_000_000n }) }),
    tarHeader({
      path: Buffer.from('link'),
      node: node({ type: 'symlink', linkTarget: Buffer.from('t'.repeat(200)), mtimeNs: 1_234_567_890_123_456_789n }),
    }),
    tarHeader({ path: Buffer.from('dev'), node: node({ type: 'blockdev', rdev: makedev(259, 70000) }) }),
    TAR_END,
  ];
  const file = join(dir, 'a.tar');
  await writeFile(file, Buffer.concat(entries));
  const { stdout } = await run('tar', ['--numeric-owner', '--full-time', '-tvf', file]);
  const lines = stdout.trim().split('\n');
  t.match(lines[0], /^-rw-r--r-- 3000000\/5000000 +0 1969-12-31 /);
  // GNU tar writes -1.5 s so too (and extracts it as 23:59:58.5, though its listing shows 23:59:59.5).
  t.ok(entries[0]?.includes('mtime=-1.5\n'), 'a negative time with a fraction, as one signed decimal');
  t.ok(lines[0]?.endsWith(` ${long.toString()}`), 'long path');
  t.match(lines[1], /2009-02-13 23:31:30\.123456789 link -> t{200}$/);
  t.match(lines[2], /^brw-r--r-- 0\/0 +259,70000 /);
  const names = await run('tar', ['-tvf', file]);
  t.match(names.stdout, /uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\/g/, 'long owner name');
  const big = tarHeader({ path: Buffer.from('big'), node: node({ size: 9 * 1024 ** 3 }) });
  t.ok(big.includes('size=9663676416\n'), 'a size beyond 8 GiB goes into the pax header');
});
