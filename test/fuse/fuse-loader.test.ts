import path from 'node:path';
import t from 'tap';
import { isRozenError } from '../../src/core/errors.js';
import { INSTALL_HINT, loadFuse, type LoaderDeps } from '../../src/fuse/fuse-loader.js';
import type { FuseBinding, FuseConstructor } from '../../src/fuse/fuse-native-types.js';
import { unescapeMountPath, isMounted } from '../../src/fuse/mount-watch.js';
import { checkFuseDevice } from '../../src/fuse/mountpoint.js';
import { tempDir } from './shell.js';
import { writeFile, rm } from 'node:fs/promises';

const FakeFuse = class {} as unknown as FuseConstructor;
const fakeBinding: FuseBinding = { fuse_native_unmount: () => undefined };
const libfuseMissing = new Error('libfuse.so.2: cannot open shared object file: No such file or directory');

function deps(failures: number, error = libfuseMissing): LoaderDeps & { preloads: number } {
  let left = failures;
  const d = {
    preloads: 0,
    requireFuse(): FuseConstructor {
      if (left-- > 0) throw error;
      return FakeFuse;
    },
    requireBinding: () => fakeBinding,
    preloadLibfuse() {
      d.preloads++;
    },
  };
  return d;
}

t.test('loads fuse-native directly when libfuse is installed', async (t) => {
  const loaded = loadFuse();
  t.type(loaded.Fuse, 'function');
  t.type(loaded.binding.fuse_native_unmount, 'function');
});

t.test('falls back to the bundled libfuse when the system one is missing', async (t) => {
  const d = deps(1);
  t.equal(loadFuse(d).Fuse, FakeFuse);
  t.equal(d.preloads, 1);
});

t.test('reports FuseUnavailable with the install hint when nothing works', async (t) => {
  for (const d of [deps(2), deps(1, new Error('something else'))]) {
    try {
      loadFuse(d);
      t.fail('should throw');
    } catch (err) {
      t.ok(isRozenError(err, 'FuseUnavailable'));
      t.match((err as Error).message, INSTALL_HINT);
    }
  }
});

t.test('a missing /dev/fuse is FuseUnavailable with the install hint', async (t) => {
  const err = await checkFuseDevice('/nonexistent/fuse').then(() => undefined, (e: unknown) => e);
  t.ok(isRozenError(err, 'FuseUnavailable'));
  t.match((err as Error).message, 'apt-get install -y libfuse2 fuse');
});

t.test('the mount table parser unescapes octal escapes', async (t) => {
  t.equal(unescapeMountPath('/mnt/a\\040b\\134c'), '/mnt/a b\\c');
  const dir = await tempDir('rozen-table-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const table = path.join(dir, 'mounts');
  await writeFile(table, 'rozen /mnt/my\\040snap fuse.rozen ro 0 0\n');
  t.ok(await isMounted('/mnt/my snap', table));
  t.notOk(await isMounted('/mnt/my', table));
});
