/** applyMetadata/createSpecial details: owner mapping by name, soft failures, stale xattrs, refusals. */
import t from 'tap';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountDb } from '../../src/snapshot/fs/accounts.js';
import { native } from '../../src/snapshot/fs/native.js';
import { applyMetadata, createSpecial } from '../../src/snapshot/fs/restore-meta.js';
import type { ScannedNode } from '../../src/snapshot/fs/scan.js';
import { readXattrs } from '../../src/snapshot/fs/xattrs.js';

const base = await mkdtemp(join(tmpdir(), 'rzmeta-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
const accounts = AccountDb.fromText('bob:x:4321:4321::/:\n', 'devs:x:8765:\n');

const node = (over: Partial<ScannedNode>): ScannedNode => ({
  name: Buffer.from('f'),
  type: 'file',
  mode: 0o640,
  uid: 1234,
  gid: 5678,
  mtimeNs: 1_000_000_000_000_000_001n,
  atimeNs: 2n,
  ctimeNs: 0n,
  size: 0,
  allocated: 0,
  device: 0,
  inode: 0,
  links: 1,
  ...over,
});

t.test('owners restore by number unless numericOwner is false and the name is known here', async (t) => {
  const path = Buffer.from(join(base, 'owned'));
  await writeFile(path, '');
  await applyMetadata(path, node({ user: 'bob', group: 'devs' }), { accounts });
  t.match(await lstat(path), { uid: 1234, gid: 5678 });
  await applyMetadata(path, node({ user: 'bob', group: 'devs' }), { accounts, numericOwner: false });
  t.match(await lstat(path), { uid: 4321, gid: 8765 });
  await applyMetadata(path, node({ user: 'nobody-here' }), { accounts, numericOwner: false });
  t.match(await lstat(path), { uid: 1234, gid: 5678 });
  t.equal((await lstat(path, { bigint: true })).mtimeNs, 1_000_000_000_000_000_001n);
});

t.test('xattrs are made exact, and unsupported ones are warnings when asked', async (t) => {
  const path = Buffer.from(join(base, 'x'));
  await writeFile(path, '');
  native().lsetxattr(path, 'user.stale', Buffer.from('old'));
  await applyMetadata(path, node({ xattrs: [['user.new', Buffer.from('v')]] }));
  t.same(readXattrs(path), [['user.new', Buffer.from('v')]]);
  const bogus = node({ xattrs: [['bogus.ns', Buffer.from('v')]] });
  await t.rejects(applyMetadata(path, bogus), { code: 'ENOTSUP' });
  const warnings: string[] = [];
  await applyMetadata(path, bogus, { onWarning: (_p, m) => warnings.push(m) });
  t.equal(warnings.length, 1);
  t.equal((await lstat(path)).mode & 0o7777, 0o640, 'the rest is still applied');
});

t.test('createSpecial refuses regular files and accepts an existing directory', async (t) => {
  await t.rejects(createSpecial(Buffer.from(join(base, 'r')), node({})), { code: 'InvalidArgument' });
  const dir = join(base, 'd');
  await mkdir(dir);
  await createSpecial(Buffer.from(dir), node({ type: 'dir' }));
  await writeFile(join(base, 'plain'), '');
  await t.rejects(createSpecial(Buffer.from(join(base, 'plain')), node({ type: 'dir' })), { code: 'EEXIST' });
  await t.rejects(createSpecial(Buffer.from(join(base, 'l')), node({ type: 'symlink' })), { code: 'InvalidArgument' });
});
