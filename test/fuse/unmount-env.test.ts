import t from 'tap';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detachMount } from '../../src/fuse/unmount-command.js';

t.test('the unmount tool does not inherit the password or credentials', async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'rozen-unmount-env-'));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  // A stand-in fusermount that records the environment it was given.
  await writeFile(join(bin, 'fusermount'), `#!/bin/sh\nenv > '${join(bin, 'env')}'\n`);
  await chmod(join(bin, 'fusermount'), 0o755);
  const saved = { ...process.env };
  t.teardown(() => {
    process.env = saved;
  });
  Object.assign(process.env, {
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    ROZEN_PASSWORD: 'hunter2',
    ROZEN_PASSWORD_FILE: '/secret/pw',
    ROZEN_PASSWORD_COMMAND: 'pass show rozen',
    ROZEN_FROM_PASSWORD: 'hunter3',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    KEEP_ME: 'yes',
  });
  await detachMount('/nonexistent/mountpoint');
  const env = await readFile(join(bin, 'env'), 'utf8');
  t.notMatch(env, /hunter|ROZEN_PASSWORD|ROZEN_FROM_PASSWORD|aws-secret/);
  t.match(env, /^KEEP_ME=yes$/m, 'the rest of the environment is passed on');
});
