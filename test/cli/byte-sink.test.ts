import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { toFile } from '../../src/cli/byte-sink.js';

const failing = async (sink: { write(d: Uint8Array): Promise<void> }): Promise<void> => {
  await sink.write(Buffer.from('partial'));
  throw new Error('a chunk failed to verify');
};

t.test('a failed dump removes the file it created, never one that was there', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-sink-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fresh = join(dir, 'new.tar');
  await t.rejects(toFile(fresh, failing), /failed to verify/);
  t.notOk(existsSync(fresh), 'the file this dump created is gone');

  const kept = join(dir, 'kept');
  await writeFile(kept, 'was here');
  await t.rejects(toFile(kept, failing), /failed to verify/);
  t.ok(existsSync(kept), 'a file that was there stays (as /dev/null must)');
  await t.rejects(toFile('/dev/null', failing));
  t.ok(existsSync('/dev/null'));

  const ok = join(dir, 'ok');
  await toFile(ok, (sink) => sink.write(Buffer.from('whole')));
  t.equal(await readFile(ok, 'utf8'), 'whole');
});
