import t, { type Test } from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { startS3rver } from '../helpers/s3rver.js';

type Env = Record<string, string>;
interface Snap {
  id: string;
  short_id: string;
  tags: string[];
  original?: string;
}
interface TagRow {
  id: string;
  changed: boolean;
  new_id?: string;
  tags_after: string[];
}

async function ok(t: Test, args: string[], env: Env): Promise<string> {
  const r = await rozen(args, env);
  t.equal(r.code, 0, `${args[0] ?? ''}: ${r.stderr}`);
  return r.stdout;
}

const snapshots = async (t: Test, repo: string, env: Env, ...filter: string[]): Promise<Snap[]> =>
  JSON.parse(await ok(t, ['snapshots', repo, '--json', ...filter], env)) as Snap[];
const tag = async (t: Test, repo: string, env: Env, ...args: string[]): Promise<TagRow[]> =>
  JSON.parse(await ok(t, ['tag', repo, ...args, '--json'], env)) as TagRow[];

async function scenario(t: Test, url: (dir: string) => string, extraEnv: Env = {}): Promise<void> {
  const { dir, env: base } = await cliSandbox(t);
  const env = { ...base, ...extraEnv };
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'f.txt'), 'first');
  const repo = url(dir);
  await ok(t, ['init', repo], env);
  await ok(t, ['backup', repo, src, '--tag', 'a'], env);
  await writeFile(join(src, 'f.txt'), 'second');
  await ok(t, ['backup', repo, src], env);

  const added = await tag(t, repo, env, '--add', 'x', '--add', 'y');
  t.same(
    added.map((r) => [r.changed, r.tags_after]),
    [
      [true, ['a', 'x', 'y']],
      [true, ['x', 'y']],
    ],
  );
  const [first, second] = added.map((r) => r.id);
  const afterAdd = await snapshots(t, repo, env);
  t.same(
    afterAdd.map((s) => s.id),
    added.map((r) => r.new_id),
    'the old records are gone, the new ones listed',
  );
  t.same(
    afterAdd.map((s) => s.original),
    [first, second],
    'each new record names the one it replaces',
  );

  const again = await tag(t, repo, env, '--add', 'y', '--add', 'x');
  t.same(
    again.map((r) => [r.id, r.changed, r.new_id]),
    afterAdd.map((s) => [s.id, false, undefined]),
    'a second identical run changes nothing',
  );

  t.match(await ok(t, ['tag', repo, 'latest', '--remove', 'y'], env), /tags x,y -> x, replaced by/);
  t.same(
    (await snapshots(t, repo, env, '--tag', 'y')).map((s) => s.original),
    [first],
    'listing by tag: only the first has y',
  );

  const firstNow = afterAdd[0]?.short_id ?? '?';
  t.match(await ok(t, ['tag', repo, firstNow, '--set', 'only'], env), /tags a,x,y -> only, replaced by/);
  const all = await snapshots(t, repo, env);
  t.same(
    all.map((s) => [s.tags, s.original]),
    [
      [['only'], first],
      [['x'], second],
    ],
    'set replaces all tags; original stays the first id of the chain',
  );
  t.notOk(
    all.some((s) => [first, second, ...afterAdd.map((x) => x.id)].includes(s.id)),
    'no replaced record is left',
  );

  const bad = await rozen(['tag', repo, '--set', 'p', '--add', 'q'], env);
  t.equal(bad.code, 2, '--set with --add is refused');
  t.match(bad.stderr, /--set cannot be combined/);
}

t.test('tag on a local repository', (t) => scenario(t, (dir) => join(dir, 'repo')));

t.test('tag on an S3 repository (s3rver)', async (t) => {
  const s3 = await startS3rver();
  t.teardown(() => s3.stop());
  await scenario(t, () => `s3://${s3.bucket}/repo`, s3.env);
});
