import t from 'tap';
import { BlobCache } from '../../src/fuse/blob-cache.js';
import { Errno } from '../../src/fuse/errno.js';
import { FileReader } from '../../src/fuse/file-reader.js';
import type { FuseOps } from '../../src/fuse/fuse-native-types.js';
import { createFuseOps } from '../../src/fuse/fuse-ops.js';
import { InodeTable } from '../../src/fuse/inode-table.js';
import { PathResolver } from '../../src/fuse/path-resolver.js';
import { SnapshotCatalog } from '../../src/fuse/snapshot-catalog.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import { dirNode, fileNode, MemorySource } from './memory-source.js';

function opsFor(source: MemorySource, xattrs = true): FuseOps {
  const catalog = new SnapshotCatalog(source, 5000, () => undefined);
  const resolver = new PathResolver(catalog, new TreeCache(source, 1000), new InodeTable());
  return createFuseOps({ resolver, catalog, reader: new FileReader(new BlobCache(source, 1 << 20, 2), 2), log: () => undefined, xattrs });
}

/** Calls a handler and resolves with the arguments of its callback. */
function call(ops: FuseOps, name: string, ...args: unknown[]): Promise<unknown[]> {
  const op = ops[name] as unknown as (...a: unknown[]) => void;
  return new Promise((resolve) => op(...args, (...res: unknown[]) => resolve(res)));
}

const source = new MemorySource();
source.addSnapshot(source.addTree([dirNode(source, 'd', [fileNode(source, 'f', [Buffer.from('abc')])])]), { time: '2024-01-01T00:00:00Z' });
const file = '/snapshots/2024-01-01T00:00:00/d/f';

t.test('every change is EROFS, even if the kernel let it through', async (t) => {
  const ops = opsFor(source);
  const cases: [string, unknown[]][] = [
    ['write', [file, 1, Buffer.alloc(1), 1, 0]],
    ['create', [file, 0o644]],
    ['mkdir', ['/x', 0o755]],
    ['rmdir', ['/snapshots']],
    ['rename', [file, '/y']],
    ['unlink', [file]],
    ['chmod', [file, 0o600]],
    ['chown', [file, 1, 1]],
    ['truncate', [file, 0]],
    ['ftruncate', [file, 1, 0]],
    ['setxattr', [file, 'user.x', Buffer.from('1'), 0, 0]],
    ['removexattr', [file, 'user.x']],
    ['utimens', [file, 0, 0]],
    ['symlink', ['a', '/b']],
    ['link', [file, '/c']],
    ['mknod', ['/n', 0o644, 0]],
  ];
  for (const [name, args] of cases) t.same(await call(ops, name, ...args), [Errno.EROFS], name);
  // Opening for writing is refused by the kernel itself: the mount is read-only (see mount.test.ts).
  t.equal(ops.open, undefined, 'open is left to libfuse (no round trip per file)');
  t.equal(ops.release, undefined, 'release is left to libfuse');
});

t.test('reads, listings and errors', async (t) => {
  const ops = opsFor(source);
  const buf = Buffer.alloc(10);
  t.same(await call(ops, 'read', file, 0, buf, 10, 1), [2], 'a read finds its file by path');
  t.equal(buf.toString('utf8', 0, 2), 'bc');
  t.same(await call(ops, 'read', file, 0, buf, 10, 0), [3]);
  t.equal(buf.toString('utf8', 0, 3), 'abc');
  t.same(await call(ops, 'read', '/snapshots/2024-01-01T00:00:00/nope', 0, buf, 10, 0), [Errno.ENOENT]);
  const [, names] = await call(ops, 'readdir', '/snapshots/2024-01-01T00:00:00/d');
  t.same(names, ['.', '..', 'f']);
  t.same(await call(ops, 'readlink', file), [Errno.EINVAL]);
  t.same(await call(ops, 'getxattr', '/snapshots', 'user.x', 0), [Errno.ENODATA]);
  t.same(await call(ops, 'getattr', '/snapshots/2024-01-01T00:00:00/d/f/g'), [Errno.ENOTDIR]);
  t.same(await call(ops, 'getattr', '/snapshots/latest/d'), [Errno.ENOTDIR], 'the kernel follows links itself');
  t.same(await call(ops, 'getattr', '/nope'), [Errno.ENOENT]);
  t.same(await call(ops, 'read', '/snapshots/2024-01-01T00:00:00/d', 0, buf, 10, 0), [Errno.EISDIR]);
});

t.test('without extended attributes getxattr/listxattr are left to the kernel (ENOSYS once, then no more calls)', async (t) => {
  const ops = opsFor(source, false);
  t.equal(ops.getxattr, undefined);
  t.equal(ops.listxattr, undefined);
  t.type(opsFor(source, true).getxattr, 'function');
});
