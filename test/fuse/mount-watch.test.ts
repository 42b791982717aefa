import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { isRozenError } from '../../src/core/errors.js';
import { isMounted, unescapeMountPath } from '../../src/fuse/mount-watch.js';
import { checkFuseDevice } from '../../src/fuse/mountpoint.js';
import { tempDir } from './shell.js';

t.test('a missing /dev/fuse is FuseUnavailable saying what to do', async (t) => {
  const err = await checkFuseDevice('/nonexistent/fuse').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isRozenError(err, 'FuseUnavailable'));
  t.match((err as Error).message, /modprobe fuse/);
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
