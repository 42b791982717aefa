import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliSandbox } from '../helpers/cli.js';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

for (const script of ['local-backup.sh', 's3-backup.sh']) {
  t.test(`examples/${script} runs and restores an identical copy`, async (t) => {
    const { dir, env } = await cliSandbox(t);
    const folder = join(dir, 'folder');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'a.txt'), 'example file\n');
    await writeFile(join(folder, 'sub', 'b.bin'), Buffer.alloc(5 * 1024 * 1024, 7));
    const work = join(dir, 'work');
    await mkdir(work);
    const childEnv = { ...env };
    delete childEnv['AWS_ENDPOINT_URL_S3'];
    const { stdout } = await run('bash', [join(examples, script), folder, work], { env: childEnv });
    t.match(stdout, /is identical/);
  });
}

t.test('examples/demo.sh backs up, lists, mounts, reads a file through the mount and unmounts', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const work = join(dir, 'demo');
  await mkdir(work);
  const { stdout } = await run('bash', [join(examples, 'demo.sh'), work], { env: { ...env } });
  t.match(stdout, /1 snapshot\(s\)/);
  t.match(stdout, /the file read through the mount is identical to the original/);
  t.match(stdout, /demo: done/);
  const mounts = await run('cat', ['/proc/mounts']);
  t.notMatch(mounts.stdout, join(work, 'mnt'), 'unmounted');
});
