import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildFixture } from '../snapshot/fs-fixture.js';
import { CLI, cliSandbox, rozen } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';
import { treeListing } from '../helpers/tree-compare.js';

const run = promisify(execFile);

/** Runs `rozen args | sh -c consumer` with the two joined by one OS pipe, returning both exit codes and the consumer's output. */
function pipeInto(
  args: readonly string[],
  env: Record<string, string>,
  consumer: string,
): Promise<{ code: number | null; consumerCode: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const sink = spawn('sh', ['-c', consumer], { stdio: ['pipe', 'pipe', 'inherit'] });
    const producer = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', sink.stdin, 'pipe'] });
    // Only the producer holds the pipe's write end now, so the consumer sees its end and it sees the consumer go.
    sink.stdin.destroy();
    let stderr = '';
    let stdout = '';
    producer.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    sink.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    let code: number | null | undefined;
    let consumerCode: number | null | undefined;
    const done = (): void => {
      if (code !== undefined && consumerCode !== undefined) resolve({ code, consumerCode, stderr, stdout });
    };
    producer.on('error', reject).on('close', (c) => ((code = c), done()));
    sink.on('error', reject).on('close', (c) => ((consumerCode = c), done()));
  });
}

/** Source tree listing without the entries tar cannot carry (the socket). */
const listing = async (root: string): Promise<string[]> =>
  (await treeListing(root)).filter((l) => !l.startsWith(`/${Buffer.from('sock').toString('hex')}|`));

async function dumpChecks(t: Test, repo: string, src: string, dir: string, env: Record<string, string>): Promise<void> {
  const file = (name: string): string => join(src, name);
  for (const name of ['big.bin', 'plain.txt', 'empty']) {
    const r = await pipeInto(['dump', repo, 'latest', file(name)], env, `cat > ${join(dir, 'out')}`);
    t.equal(r.code, 0, r.stderr);
    t.ok((await readFile(join(dir, 'out'))).equals(await readFile(file(name))), `dump of ${name} is its bytes`);
  }
  const extracted = join(dir, 'x');
  await mkdir(extracted);
  const tar = await pipeInto(
    ['dump', repo, 'latest', src],
    env,
    `tar --xattrs --xattrs-include='*' --numeric-owner -xpf - -C ${extracted}`,
  );
  t.equal(tar.code, 0, tar.stderr);
  t.equal(tar.consumerCode, 0, 'GNU tar extracts the stream');
  t.match(tar.stderr, /sock: skipped: tar cannot hold a socket/);
  t.same(await listing(extracted), await listing(src), 'tar -x reproduces the tree and its metadata');

  const zip = join(dir, 'a.zip');
  const z = await rozen(['dump', repo, 'latest', src, '--archive', 'zip', '-o', zip], env);
  t.equal(z.code, 0, z.stderr);
  const list = (await run('unzip', ['-l', zip])).stdout;
  t.match(list, /\bbig\.bin\b/);
  t.match(list, /\bsub\/hl-b\b/);
  const unzipped = join(dir, 'z');
  await run('unzip', ['-q', zip, 'big.bin', 'plain.txt', '-d', unzipped]);
  t.ok((await readFile(join(unzipped, 'big.bin'))).equals(await readFile(file('big.bin'))), 'zip holds the bytes');

  const head = await pipeInto(['dump', repo, 'latest', file('big.bin')], env, 'head -c 10 > /dev/null');
  t.equal(head.code, 141, 'a reader that stops early ends the dump with the status of SIGPIPE');
  t.same(
    head.stderr.split('\n').filter((l) => l !== '' && !l.includes('is plain http')),
    [],
    'and quietly',
  );

  const missing = await rozen(['dump', repo, 'latest', join(src, 'no-such')], env);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no-such is not in snapshot/);
  const noSnap = await rozen(['dump', repo, 'ffffffff', src], env);
  t.equal(noSnap.code, 1);
  t.match(noSnap.stderr, /no snapshot with id ffffffff/);
  const bad = await rozen(['dump', repo, 'latest', src, '--archive', 'rar'], env);
  t.equal(bad.code, 2);
  const fifo = await rozen(['dump', repo, 'latest', file('fifo')], env);
  t.equal(fifo.code, 2);
  t.match(fifo.stderr, /is a fifo: give --archive/);
  await rm(join(dir, 'out'), { force: true });
}

async function setUp(t: Test, repoOf: (dir: string) => string, extraEnv: Record<string, string> = {}): Promise<void> {
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...extraEnv };
  const src = join(dir, 'src');
  await mkdir(src);
  await buildFixture(src);
  await writeFile(join(src, 'big.bin'), randomBytes(21 * 1024 * 1024 + 5));
  const repo = repoOf(dir);
  t.equal((await rozen(['init', repo], env)).code, 0);
  const b = await rozen(['backup', repo, src], env);
  t.equal(b.code, 0, b.stderr);
  await dumpChecks(t, repo, src, dir, env);
}

t.test('dump from a local repository', async (t) => {
  await setUp(t, (dir) => join(dir, 'repo'));
});

t.test('dump from an S3 repository (s3rver)', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  await setUp(t, () => `s3://${s3.bucket}/repo`, s3.env);
});
