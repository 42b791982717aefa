import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { isRozenError } from '../../src/core/errors.js';
import { mountSnapshots } from '../../src/fuse/mount.js';
import { isMounted } from '../../src/fuse/mount-watch.js';
import { dirNode, fileNode, MemorySource } from './memory-source.js';
import { fuseSkipReason, run, tempDir } from './shell.js';

const skip = fuseSkipReason();
const here = path.dirname(fileURLToPath(import.meta.url));
const serveScript = path.join(here, 'fixtures', 'serve.ts');

interface Served {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Starts fixtures/serve.ts and waits until it has mounted. */
async function serve(mnt: string): Promise<Served> {
  const child = spawn(process.execPath, ['--import=@tapjs/typescript/import', serveScript, mnt], {
    cwd: path.resolve(here, '../..'),
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('mounted') && resolve());
    void exited.then((code) => reject(new Error(`serve.ts exited early (${code}): ${stderr}`)));
  });
  return { child, exited };
}

/** Whatever happens, leave no mount behind. */
async function cleanup(mnt: string, served?: Served): Promise<void> {
  if (served && served.child.exitCode === null) served.child.kill('SIGKILL');
  if (await isMounted(mnt)) await run('fusermount', ['-uz', mnt]);
  await rm(mnt, { recursive: true, force: true });
}

function smallSource(): MemorySource {
  const source = new MemorySource();
  source.addSnapshot(source.addTree([dirNode(source, 'd', [fileNode(source, 'f', [Buffer.from('f')])])]));
  return source;
}

t.test('SIGTERM and SIGINT unmount cleanly and the process exits 0', { skip }, async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const mnt = await tempDir('rozen-sig-');
    const served = await serve(mnt);
    t.teardown(() => cleanup(mnt, served));
    t.equal((await run('cat', [path.join(mnt, 'snapshots', 'latest', 'data', 'a.txt')])).stdout, 'served\n');
    served.child.kill(signal);
    t.equal(await served.exited, 0, `${signal}: exit status 0`);
    t.notOk(await isMounted(mnt), `${signal}: unmounted`);
  }
});

t.test('fusermount -u from outside ends the serving process with status 0', { skip }, async (t) => {
  const mnt = await tempDir('rozen-ext-');
  const served = await serve(mnt);
  t.teardown(() => cleanup(mnt, served));
  t.equal((await run('fusermount', ['-u', mnt])).code, 0);
  t.equal(await served.exited, 0);
});

t.test('a stale mount left by a crash is cleaned by the next mount', { skip }, async (t) => {
  const mnt = await tempDir('rozen-stale-');
  const served = await serve(mnt);
  t.teardown(() => cleanup(mnt, served));
  served.child.kill('SIGKILL');
  await served.exited;
  await t.rejects(stat(mnt), { code: 'ENOTCONN' }, 'the crash left a stale mount');
  const logs: string[] = [];
  const handle = await mountSnapshots(smallSource(), mnt, { log: (l) => logs.push(l) });
  t.teardown(() => handle.unmount());
  t.match(logs.join('\n'), /stale mount/);
  t.equal((await run('cat', [path.join(mnt, 'snapshots', 'latest', 'd', 'f')])).stdout, 'f');
});

t.test('in process: an outside unmount resolves closed; unmount twice is harmless', { skip }, async (t) => {
  const mnt = await tempDir('rozen-closed-');
  t.teardown(() => cleanup(mnt));
  const handle = await mountSnapshots(smallSource(), mnt, { log: () => undefined, allowOther: true });
  t.ok(await isMounted(mnt));
  const line = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((l) => l.split(' ')[1] === mnt) ?? '';
  t.match(line, /\bro\b/, 'mounted read-only');
  t.match(line, /allow_other/, 'allowOther');
  t.match(line, /default_permissions/, 'recorded permissions are enforced');
  await run('umount', ['-l', mnt]);
  await handle.closed;
  await handle.unmount();
  await handle.unmount();
  t.notOk(await isMounted(mnt));
});

t.test('mountpoint checks', { skip }, async (t) => {
  const dir = await tempDir('rozen-bad-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'file'), 'x');
  await mkdir(path.join(dir, 'full'));
  await writeFile(path.join(dir, 'full', 'x'), 'x');
  const source = smallSource();
  for (const [what, mnt] of [
    ['not empty', path.join(dir, 'full')],
    ['a file', path.join(dir, 'file')],
    ['missing', path.join(dir, 'missing')],
  ] as const) {
    const err = await mountSnapshots(source, mnt, { log: () => undefined }).then(
      (h) => h.unmount(),
      (e: unknown) => e,
    );
    t.ok(isRozenError(err, 'InvalidArgument'), `${what}: ${String(err)}`);
  }
});

t.test('mounting thousands of snapshots is instant and lists no trees', { skip }, async (t) => {
  const source = new MemorySource();
  const tree = source.addTree([dirNode(source, 'd', [])]);
  const start = Date.parse('2020-01-01T00:00:00Z');
  for (let i = 0; i < 5000; i++) {
    source.addSnapshot(tree, { time: new Date(start + i * 3_600_000).toISOString(), hostname: `h${i % 7}`, tags: i % 2 ? ['odd'] : [] });
  }
  const mnt = await tempDir('rozen-many-');
  t.teardown(() => cleanup(mnt));
  const began = performance.now();
  const handle = await mountSnapshots(source, mnt, { log: () => undefined });
  t.teardown(() => handle.unmount());
  const mountMs = performance.now() - began;
  t.ok(mountMs < 2000, `mounted in ${mountMs.toFixed(0)} ms`);
  t.equal(source.listings, 0, 'nothing listed at mount');
  const ls = await run('ls', [path.join(mnt, 'snapshots')]);
  t.equal(ls.stdout.trim().split('\n').length, 5001);
  t.equal((await run('ls', [path.join(mnt, 'tags', 'odd')])).stdout.trim().split('\n').length, 2501);
  t.equal(source.treeLoads, 0, 'listing snapshots loads no tree');
});
