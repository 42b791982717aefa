import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { BlobId } from '../../src/core/ids.js';
import { mountSnapshots, type MountHandle } from '../../src/fuse/mount.js';
import type { Node } from '../../src/snapshot/node.js';
import { baseNode, chunked, dirNode, fileNode, MemorySource, pseudoRandom } from './memory-source.js';
import { fuseSkipReason, run, runBytes, tempDir } from './shell.js';

const MiB = 1024 * 1024;
const skip = fuseSkipReason();

interface Fixture {
  source: MemorySource;
  big: Uint8Array;
  huge: Node;
  failing: BlobId;
}

const HUGE_CHUNK = 2 * MiB;
const HUGE_CHUNKS = 5120; // 10 GiB
const hugeChunk = (i: number): Uint8Array => pseudoRandom(HUGE_CHUNK, i + 1);

function buildFixture(): Fixture {
  const source = new MemorySource();
  const big = pseudoRandom(50 * MiB, 42);
  const hardContent = source.addBlob(Buffer.from('linked\n'));
  const hard = (name: string): Node =>
    baseNode(name, { size: 7, allocated: 4096, content: [hardContent], sizes: [7], links: 2, inode: 777, device: 9 });
  const zeros = source.addBlob(new Uint8Array(2 * MiB));
  const failing = source.addBlob(Buffer.from('unlucky\n'));
  const hugeIds: BlobId[] = [];
  for (let i = 0; i < HUGE_CHUNKS; i++) hugeIds.push(source.addBlob(() => hugeChunk(i)));
  const huge = baseNode('huge.bin', {
    size: HUGE_CHUNK * HUGE_CHUNKS,
    allocated: HUGE_CHUNK * HUGE_CHUNKS,
    content: hugeIds,
    sizes: hugeIds.map(() => HUGE_CHUNK),
  });
  const data = dirNode(source, 'data', [
    fileNode(source, 'hello.txt', [Buffer.from('hello world\n')], { mode: 0o640, uid: 1000, gid: 1001 }),
    fileNode(source, 'big.bin', chunked(big)),
    fileNode(source, 'failing.txt', [], { size: 8, content: [failing], sizes: [8] }),
    baseNode('link', { type: 'symlink', mode: 0o777, linkTarget: Buffer.from('hello.txt'), size: 9 }),
    hard('hard1'),
    dirNode(source, 'sub', [hard('hard2'), fileNode(source, 'x.txt', [Buffer.from('x')])]),
    baseNode('sparse.img', { size: 10 * MiB, allocated: 8192, content: Array(5).fill(zeros), sizes: Array(5).fill(2 * MiB) }),
    baseNode('fifo', { type: 'fifo', mode: 0o600 }),
    baseNode('null', { type: 'chardev', mode: 0o666, rdev: (1 << 8) | 3, uid: 0, gid: 0 }),
    fileNode(source, 'tagged.txt', [Buffer.from('t')], {
      xattrs: [
        ['user.bin', Buffer.from([0, 1, 2])],
        ['user.comment', Buffer.from('hi')],
      ],
    }),
    fileNode(source, Buffer.from([0x66, 0xff, 0x6f]), [Buffer.from('bad name\n')]),
    fileNode(source, 'lit\\x41', [Buffer.from('literal\n')]),
    fileNode(source, 'line\nbreak', [Buffer.from('newline\n')]),
    baseNode('binlink', { type: 'symlink', mode: 0o777, linkTarget: Buffer.from([0x74, 0xfe, 0x2f, 0x78]), size: 4 }),
    fileNode(source, 'old.txt', [Buffer.from('1969\n')], { mtimeNs: -86_400_000_000_001n, atimeNs: -1n }),
    fileNode(source, 'setuid', [Buffer.from('s')], { mode: 0o4755 }),
  ]);
  const root = source.addTree([data, dirNode(source, 'huge', [huge])]);
  source.addSnapshot(root, { time: '2024-05-01T10:00:00.250Z', hostname: 'host1', tags: ['daily'] });
  source.addSnapshot(root, { time: '2024-05-01T10:00:00.750Z', hostname: 'host2' });
  source.failing.add(failing);
  return { source, big, huge, failing };
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

t.test('a real FUSE mount of in-memory snapshots', { skip }, async (t) => {
  const fx = buildFixture();
  const { source } = fx;
  const mnt = await tempDir('rozen-mnt-');
  const logs: string[] = [];
  // The catalog's clock: the snapshots are listed again only when a test moves it on by the refresh interval.
  let clock = 0;
  const refreshMs = 5000;
  const handle: MountHandle = await mountSnapshots(source, mnt, { refreshMs, now: () => clock, log: (l) => logs.push(l) });
  t.teardown(async () => {
    await handle.unmount();
    await rm(mnt, { recursive: true, force: true });
  });
  const snap = path.join(mnt, 'snapshots', '2024-05-01T10:00:00');
  const data = path.join(snap, 'data');
  const stat = async (fmt: string, p: string): Promise<string> => (await run('stat', ['-c', fmt, p])).stdout.trim();

  t.test('top-level layout', async (t) => {
    t.same((await run('ls', [mnt])).stdout.split('\n').filter(Boolean), ['history', 'hosts', 'ids', 'snapshots', 'tags']);
    t.same((await run('ls', [path.join(mnt, 'snapshots')])).stdout.split('\n').filter(Boolean), [
      '2024-05-01T10:00:00',
      '2024-05-01T10:00:00-1',
      'latest',
    ]);
    t.equal((await run('readlink', [path.join(mnt, 'snapshots', 'latest')])).stdout.trim(), '2024-05-01T10:00:00-1');
    const short = (source.snapshots[0]?.id ?? '').slice(0, 8);
    t.equal((await run('cat', [path.join(mnt, 'ids', short, 'data', 'hello.txt')])).stdout, 'hello world\n');
    t.same((await run('ls', [path.join(mnt, 'hosts')])).stdout.split('\n').filter(Boolean), ['host1', 'host2']);
    t.same((await run('ls', [path.join(mnt, 'hosts', 'host2')])).stdout.split('\n').filter(Boolean), ['2024-05-01T10:00:00-1', 'latest']);
    t.equal((await run('cat', [path.join(mnt, 'tags', 'daily', '2024-05-01T10:00:00', 'data', 'hello.txt')])).stdout, 'hello world\n');
    t.equal((await run('cat', [path.join(mnt, 'tags', 'daily', 'latest', 'data', 'sub', 'x.txt')])).stdout, 'x');
    t.equal((await run('stat', [path.join(mnt, 'snapshots', 'nope')])).code, 1);
  });

  t.test('listing never reads file data', async (t) => {
    const before = source.blobReads.length;
    const ls = await run('ls', ['-lR', path.join(mnt, 'snapshots', '2024-05-01T10:00:00-1', 'data')]);
    t.equal(ls.code, 0, ls.stderr);
    t.match(ls.stdout, /hello\.txt/);
    t.equal(source.blobReads.length, before);
  });

  t.test('recorded attributes', async (t) => {
    const hello = path.join(data, 'hello.txt');
    t.equal(await stat('%F|%a|%u|%g|%s|%h', hello), 'regular file|640|1000|1001|12|1');
    t.match(await stat('%y', hello), /^2023-11-14 22:13:20\.123456789/, 'nanoseconds');
    t.match(await stat('%x', hello), /^2023-11-14 22:13:21\.123456789/);
    t.match(await stat('%z', hello), /^2023-11-14 22:13:22\.123456789/);
    t.equal(await stat('%Y|%y', path.join(data, 'old.txt')), '-86401|1969-12-30 23:59:59.999999999 +0000', 'before 1970');
    t.match(await stat('%x', path.join(data, 'old.txt')), /^1969-12-31 23:59:59\.999999999/);
    t.equal(await stat('%F|%a', path.join(data, 'sub')), 'directory|755');
    t.equal(await stat('%a', path.join(data, 'setuid')), '4755');
    t.equal(await stat('%F', path.join(data, 'fifo')), 'fifo');
    t.equal(await stat('%F|%t|%T', path.join(data, 'null')), 'character special file|1|3');
    t.equal(await stat('%s|%b|%B', path.join(data, 'sparse.img')), `${10 * MiB}|16|512`);
    t.equal((await run('du', ['-k', path.join(data, 'sparse.img')])).stdout.split('\t')[0], '8');
    t.equal(await stat('%s', path.join(snap, 'huge', 'huge.bin')), String(10 * 1024 * MiB));
  });

  t.test('hardlinks share an inode, others do not', async (t) => {
    const [a, b, c] = await Promise.all(['hard1', 'sub/hard2', 'hello.txt'].map((p) => stat('%i|%h', path.join(data, p))));
    t.equal(a, b);
    t.match(a, /\|2$/);
    t.not(a?.split('|')[0], c?.split('|')[0]);
    const again = await stat('%i', path.join(mnt, 'ids', (source.snapshots[0]?.id ?? '').slice(0, 8), 'data', 'hard1'));
    t.equal(again, a?.split('|')[0], 'the same snapshot by id has the same inode numbers');
  });

  t.test('symlinks', async (t) => {
    t.equal((await run('readlink', [path.join(data, 'link')])).stdout.trim(), 'hello.txt');
    t.equal(await stat('%F|%s', path.join(data, 'link')), 'symbolic link|9');
    t.equal((await run('cat', [path.join(data, 'link')])).stdout, 'hello world\n');
  });

  t.test('extended attributes', async (t) => {
    const file = path.join(data, 'tagged.txt');
    const dump = await run('getfattr', ['-d', '-e', 'hex', file]);
    t.match(dump.stdout, /user\.bin=0x000102/);
    t.match(dump.stdout, /user\.comment=0x6869/);
    t.equal((await run('getfattr', ['-n', 'user.comment', '--only-values', file])).stdout, 'hi');
    t.match((await run('getfattr', ['-n', 'user.missing', file])).stderr, /No such attribute/);
  });

  t.test('names and link targets are served byte for byte', async (t) => {
    const names = await readdir(data, { encoding: 'buffer' });
    const bad = Buffer.from([0x66, 0xff, 0x6f]);
    t.ok(
      names.some((n) => n.equals(bad)),
      'a name that is not UTF-8',
    );
    t.ok(
      names.some((n) => n.toString() === 'lit\\x41'),
      'backslashes as they are',
    );
    t.ok(
      names.some((n) => n.toString() === 'line\nbreak'),
      'a newline in a name',
    );
    t.equal((await readFile(Buffer.from(`${data}/${bad.toString('latin1')}`, 'latin1'))).toString(), 'bad name\n');
    t.equal(await readFile(path.join(data, 'line\nbreak'), 'utf8'), 'newline\n');
    t.same(await readlink(path.join(data, 'binlink'), { encoding: 'buffer' }), Buffer.from([0x74, 0xfe, 0x2f, 0x78]));
  });

  t.test('small and large files read back exactly', async (t) => {
    t.equal((await run('cat', [path.join(data, 'hello.txt')])).stdout, 'hello world\n');
    const sum = (await run('sha256sum', [path.join(data, 'big.bin')])).stdout.split(' ')[0];
    t.equal(sum, sha256(fx.big));
    const reads = source.blobReads.length;
    t.equal((await run('cat', [path.join(mnt, 'snapshots', '2024-05-01T10:00:00-1', 'data', 'hello.txt')])).stdout, 'hello world\n');
    t.equal(source.blobReads.length, reads, 'a cached small blob is not fetched again');
    t.equal((await run('sha256sum', [path.join(data, 'sparse.img')])).stdout.split(' ')[0], sha256(new Uint8Array(10 * MiB)));
  });

  t.test('random reads in a 10 GiB file fetch one chunk each', async (t) => {
    const file = path.join(snap, 'huge', 'huge.bin');
    for (const chunk of [17, 4000, 2500, 333, 5100]) {
      const within = 700_000 + chunk;
      const offset = chunk * HUGE_CHUNK + within;
      const before = source.blobReads.length;
      const got = await runBytes('dd', [`if=${file}`, 'bs=4096', 'count=1', `skip=${offset}`, 'iflag=skip_bytes', 'status=none']);
      t.same(got, Buffer.from(hugeChunk(chunk).subarray(within, within + 4096)), `content at chunk ${chunk}`);
      t.same(source.blobReads.slice(before), [fx.huge.content?.[chunk]], `one fetch for chunk ${chunk}`);
    }
  });

  t.test('every change is refused with EROFS', async (t) => {
    const file = path.join(data, 'hello.txt');
    const attempts: [string, string[]][] = [
      ['touch', [path.join(data, 'new')]],
      ['sh', ['-c', `echo x >> '${file}'`]],
      ['sh', ['-c', `echo x > '${file}'`]],
      ['mkdir', [path.join(data, 'd')]],
      ['rm', ['-f', file]],
      ['rmdir', [path.join(data, 'sub')]],
      ['mv', [file, path.join(data, 'moved')]],
      ['chmod', ['600', file]],
      ['chown', ['1:1', file]],
      ['truncate', ['-s', '0', file]],
      ['setfattr', ['-n', 'user.x', '-v', '1', file]],
      ['setfattr', ['-x', 'user.comment', path.join(data, 'tagged.txt')]],
      ['touch', ['-d', '2000-01-01', file]],
      ['ln', ['-s', 'x', path.join(data, 'sl')]],
      ['ln', [file, path.join(data, 'hl')]],
      ['mkfifo', [path.join(data, 'ff')]],
    ];
    for (const [cmd, args] of attempts) {
      const r = await run(cmd, args);
      t.not(r.code, 0, `${cmd} ${args.join(' ')} fails`);
      t.match(r.stderr, /Read-only file system/, `${cmd} ${args.join(' ')}: EROFS`);
    }
    t.equal((await run('cat', [file])).stdout, 'hello world\n');
  });

  t.test('a failing source read is EIO, logged, and the mount keeps serving', async (t) => {
    const file = path.join(data, 'failing.txt');
    const r = await run('cat', [file]);
    t.not(r.code, 0);
    t.match(r.stderr, /Input\/output error/);
    t.ok(logs.length >= 1, 'logged');
    for (const line of logs) {
      t.notMatch(line, /\n/, 'one line');
      t.match(line, /failing\.txt.*injected failure/);
    }
    t.equal((await run('cat', [path.join(data, 'sub', 'x.txt')])).stdout, 'x', 'still serving');
    source.failing.delete(fx.failing);
    t.equal((await run('cat', [file])).stdout, 'unlucky\n', 'a failure is not cached');
  });

  t.test('a tree that fails to load is EIO for that listing only, and is retried', async (t) => {
    const tree = source.addTree([fileNode(source, 'late.txt', [Buffer.from('late')])]);
    const root = source.addTree([dirNode(source, 'ok', []), { ...dirNode(source, 'broken', []), subtree: tree }]);
    const snapshot = source.addSnapshot(root, { time: '2024-05-20T00:00:00.000Z', hostname: 'host3' });
    source.failing.add(tree);
    const dir = path.join(mnt, 'ids', snapshot.id.slice(0, 8));
    clock += refreshMs;
    const r = await run('ls', [path.join(dir, 'broken')]);
    t.match(r.stderr, /Input\/output error/);
    t.match(logs[logs.length - 1], /broken.*injected failure loading tree/);
    t.equal((await run('ls', [path.join(dir, 'ok')])).code, 0);
    source.failing.delete(tree);
    t.equal((await run('cat', [path.join(dir, 'broken', 'late.txt')])).stdout, 'late');
  });

  t.test('a new snapshot appears without remounting', async (t) => {
    const tree = source.addTree([dirNode(source, 'new', [fileNode(source, 'n.txt', [Buffer.from('new!')])])]);
    source.addSnapshot(tree, { time: '2024-06-01T00:00:00.000Z', hostname: 'host1' });
    clock += refreshMs;
    t.match((await run('ls', [path.join(mnt, 'snapshots')])).stdout, /2024-06-01T00:00:00/);
    t.equal((await run('readlink', [path.join(mnt, 'snapshots', 'latest')])).stdout.trim(), '2024-06-01T00:00:00');
    t.equal((await run('cat', [path.join(mnt, 'snapshots', 'latest', 'new', 'n.txt')])).stdout, 'new!');
    t.equal((await run('readlink', [path.join(mnt, 'hosts', 'host1', 'latest')])).stdout.trim(), '2024-06-01T00:00:00');
  });

  t.test('rsync -a restores content, modes, times and hardlinks', async (t) => {
    const dest = await tempDir('rozen-restore-');
    t.teardown(() => rm(dest, { recursive: true, force: true }));
    const r = await run('rsync', ['-aH', `${data}/`, `${dest}/`]);
    t.equal(r.code, 0, r.stderr);
    t.equal((await run('sha256sum', [path.join(dest, 'big.bin')])).stdout.split(' ')[0], sha256(fx.big));
    t.equal(await stat('%a|%u|%g|%Y', path.join(dest, 'hello.txt')), '640|1000|1001|1700000000');
    t.equal(await stat('%i', path.join(dest, 'hard1')), await stat('%i', path.join(dest, 'sub', 'hard2')));
    t.equal((await run('readlink', [path.join(dest, 'link')])).stdout.trim(), 'hello.txt');
  });
});
