import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKeyFile } from '../../src/crypto/key-file.js';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { type CliResult, cliSandbox, collect, rozen, startCli } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';

const FAST = { N: 1024, r: 8, p: 1 };
const keyFileId = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const GARBAGE = new Uint8Array(300).map((_, i) => (i * 211 + 5) & 0xff);

async function initRepo(t: Test): Promise<{ dir: string; env: Record<string, string>; repo: string; keyId: string }> {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  const init = await rozen(['init', repo], env);
  t.equal(init.code, 0, init.stderr);
  const [keyId] = await readdir(join(repo, 'keys'));
  return { dir, env, repo, keyId: keyId! };
}

/** The CLI, killed after `ms` (a run that hangs on a planted key file ends as a failure, not a stuck test). */
async function timed(args: string[], env: Record<string, string>, ms: number): Promise<CliResult & { ms: number }> {
  const start = performance.now();
  const child = startCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const result = await collect(child);
  clearTimeout(timer);
  return { ...result, ms: performance.now() - start };
}

/** `real` with `change`, the username varied until its hash (its name) sorts before `before`. */
function plantBefore(real: Buffer, change: Record<string, unknown>, before: string): { id: string; bytes: Uint8Array } {
  const json = JSON.parse(real.toString('utf8')) as Record<string, unknown>;
  for (let i = 0; ; i++) {
    const bytes = new Uint8Array(Buffer.from(JSON.stringify({ ...json, ...change, username: `planted${i}` })));
    if (keyFileId(bytes) < before) return { id: keyFileId(bytes), bytes };
  }
}

t.test('key list: misnamed and garbage key files named and passed over, names escaped; snapshots works', async (t) => {
  const { env, repo, keyId } = await initRepo(t);
  const keys = join(repo, 'keys');
  await writeFile(join(keys, '0'.repeat(64)), await readFile(join(keys, keyId)));
  await writeFile(join(keys, keyFileId(GARBAGE)), GARBAGE);
  const evil = await createKeyFile(generateMasterKey(), 'other', {
    kdf: FAST,
    hostname: 'evil\u001b[2J\nhost',
    username: 'u\u0007\u009bser',
  });
  await writeFile(join(keys, evil.id), evil.bytes);

  const list = await rozen(['key', 'list', repo], env);
  t.equal(list.code, 0, list.stderr);
  const rows = list.stdout.trimEnd().split('\n').slice(1);
  t.same(rows.map((r) => r.slice(1, 9)).sort(), [keyId.slice(0, 8), evil.id.slice(0, 8)].sort(), 'the two well-formed keys, not 000…0');
  t.match(list.stdout, 'evil\\x1b[2J\\x0ahost');
  t.match(list.stdout, 'u\\x07\\x9bser');
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  t.notMatch(list.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no raw control characters');
  const warnings = list.stderr.trimEnd().split('\n');
  t.equal(warnings.length, 2, list.stderr);
  t.match(list.stderr, `keys/${'0'.repeat(64)} passed over`);
  t.match(list.stderr, `keys/${keyFileId(GARBAGE)} passed over`);

  const snaps = await rozen(['snapshots', repo], env);
  t.equal(snaps.code, 0, snaps.stderr);
});

t.test('planted expensive key files (named by their hash, sorted first) are passed over within a second, on a fresh cache', async (t) => {
  const { dir, env, repo, keyId } = await initRepo(t);
  const keys = join(repo, 'keys');
  const real = await readFile(join(keys, keyId));
  let runs = 0;
  // The quicker of two runs, each on a fresh cache: a loaded machine's noise is not the key files' cost.
  const quickest = async (): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await timed(['snapshots', repo], { ...env, ROZEN_CACHE_DIR: join(dir, `cache-${runs++}`) }, 60_000);
      t.equal(run.code, 0, run.stderr);
      times.push(run.ms);
    }
    return Math.min(...times);
  };
  const baseline = await quickest();
  const planted = [
    { N: 2 ** 20, r: 1, p: 2 ** 22 },
    { N: 2 ** 22, r: 1, p: 2 ** 10 },
    { N: 2 ** 17, r: 8, p: 1, salt: Buffer.alloc(32, 1).toString('base64') },
    { N: 2 ** 17, r: 8, p: 1, salt: Buffer.alloc(32, 2).toString('base64') },
  ];
  for (const change of planted) {
    const p = plantBefore(real, change, keyId);
    await writeFile(join(keys, p.id), p.bytes);
  }
  const withPlanted = await quickest();
  t.ok(withPlanted < baseline + 1000, `${Math.round(withPlanted)} ms with planted key files, ${Math.round(baseline)} ms without`);
});

t.test('a garbage lock: reported by backup, blocks prune until removed by unlock --remove-all', async (t) => {
  const { dir, env, repo } = await initRepo(t);
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'f'), 'hello');
  const lockName = 'f'.repeat(64);
  const lockPath = join(repo, 'locks', lockName);
  await mkdir(join(repo, 'locks'), { recursive: true });
  await writeFile(lockPath, GARBAGE);

  const backup = await rozen(['backup', repo, src], env);
  t.equal(backup.code, 0, backup.stderr);
  t.equal(backup.stderr.split('\n').filter((l) => l.includes(`locks/${lockName}`)).length, 1, backup.stderr);
  t.equal((await rozen(['snapshots', repo], env)).code, 0);

  const prune = await rozen(['prune', repo], env);
  t.equal(prune.code, 11);
  t.match(prune.stderr, new RegExp(`^rozen: repository has an unreadable lock locks/${lockName}: .*unlock --remove-all.*\\n$`));

  const unlock = await rozen(['unlock', repo], env);
  t.equal(unlock.code, 0, unlock.stderr);
  t.match(unlock.stderr, `kept unreadable lock locks/${lockName}`);
  t.ok(await stat(lockPath), 'a fresh one is kept by unlock');

  const removeAll = await rozen(['unlock', '--remove-all', repo], env);
  t.equal(removeAll.code, 0, removeAll.stderr);
  t.match(removeAll.stdout, `removed unreadable lock locks/${lockName}`);
  await t.rejects(stat(lockPath), { code: 'ENOENT' });
  t.equal((await rozen(['prune', repo], env)).code, 0);

  await writeFile(lockPath, GARBAGE);
  const old = new Date(Date.now() - 60 * 60 * 1000);
  await utimes(lockPath, old, old);
  t.equal((await rozen(['prune', repo], env)).code, 0, 'a garbage lock unchanged for an hour is stale');
  const unlockStale = await rozen(['unlock', repo], env);
  t.match(unlockStale.stdout, `removed unreadable lock locks/${lockName}`);
  await t.rejects(stat(lockPath), { code: 'ENOENT' });
});

t.test('an http:// S3 endpoint gets one warning line', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  const { env } = await cliSandbox(t);
  const url = `s3://${s3.bucket}/repo`;
  const init = await rozen(['init', url], { ...env, ...s3.env });
  t.equal(init.code, 0, init.stderr);
  const warnings = init.stderr.split('\n').filter((l) => l.includes('plain http'));
  t.same(warnings, [
    `rozen: warning: S3 endpoint ${s3.endpoint} is plain http: object names, sizes and signed requests can be read, replayed or blocked on the way; use https://`,
  ]);
});

t.test('key remove deletes only a name the format defines', async (t) => {
  const { env, repo } = await initRepo(t);
  await rozen(['key', 'add', repo, '--new-password-file', join(repo, 'config')], env);
  const planted = join(repo, 'keys', 'notes-not-a-key');
  await writeFile(planted, 'mine');
  const r = await rozen(['key', 'remove', repo, 'notes'], env);
  t.not(r.code, 0, 'refused');
  t.match(r.stderr, 'not a name the repository format defines');
  t.equal(await readFile(planted, 'utf8'), 'mine', 'the planted file is still there');
});
