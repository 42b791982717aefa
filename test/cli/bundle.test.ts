/** The executable loads the bundle (scripts/bundle.mjs: one file, not ~190 modules) unless it is older than the modules. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { CLI, cliSandbox, rozen } from '../helpers/cli.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
// Records every ES module Node loads, as file URLs on stderr.
const hooks = join(mkdtempSync(join(tmpdir(), 'rozen-bundle-')), 'hooks.mjs');
writeFileSync(
  hooks,
  `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'export async function load(url, context, next) { if (url.startsWith("file:")) process._rawDebug("loaded " + url); return next(url, context); }'));
`,
);

/** The environment of a user's run: the bundle is not turned off (the other CLI tests turn it off). */
function userEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out = { ...env, NODE_OPTIONS: '' } as Record<string, string>;
  delete out['ROZEN_BUNDLE'];
  return out;
}

function loaded(t: Test, extra: Record<string, string> = {}): string[] {
  const r = spawnSync(process.execPath, ['--import', hooks, CLI, '--help'], { encoding: 'utf8', env: { ...userEnv(), ...extra } });
  t.equal(r.status, 0, '--help runs', { stderr: r.stderr.slice(-2000) });
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded '))
    .map((l) => l.slice('loaded '.length));
}

t.test('the built executable runs the bundle', async (t) => {
  const urls = loaded(t);
  t.ok(
    urls.some((u) => u.endsWith('/dist/bundle/main.js')),
    'dist/bundle/main.js is loaded',
  );
  t.notOk(
    urls.some((u) => u.includes('/dist/cli/') || u.includes('/dist/repo/')),
    'no module of dist/ one by one',
  );
});

t.test('a bundle older than the compiled modules is not used', async (t) => {
  const main = join(dist, 'main.js');
  const { atime, mtime } = statSync(main);
  t.teardown(() => utimesSync(main, atime, mtime));
  const later = new Date(statSync(join(dist, 'bundle/main.js')).mtimeMs + 60_000);
  utimesSync(main, later, later);
  const urls = loaded(t);
  t.notOk(
    urls.some((u) => u.includes('/dist/bundle/')),
    'the bundle is skipped',
  );
  t.ok(
    urls.some((u) => u.endsWith('/dist/main.js')),
    'the modules are loaded instead',
  );
});

t.test('ROZEN_BUNDLE=0 runs the modules', async (t) => {
  const urls = loaded(t, { ROZEN_BUNDLE: '0' });
  t.notOk(
    urls.some((u) => u.includes('/dist/bundle/')),
    'the bundle is not loaded',
  );
  t.ok(
    urls.some((u) => u.endsWith('/dist/main.js')),
    'dist/main.js is',
  );
});

t.test('through the bundle: init, backup, restore, check', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const user = userEnv(env);
  const data = join(dir, 'data');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'small.txt'), 'hello from the bundle\n');
  writeFileSync(join(data, 'sub', 'large.bin'), randomBytes(5 * 1024 * 1024));
  const repo = join(dir, 'repo');
  for (const args of [
    ['init', repo],
    ['backup', repo, data, '--quiet'],
    ['restore', repo, 'latest', '--target', join(dir, 'out')],
    ['check', repo, '--read-data'],
  ]) {
    const r = await rozen(args, user);
    t.equal(r.code, 0, args[0]!, { stderr: r.stderr });
  }
  const out = join(dir, 'out', data);
  t.equal(readFileSync(join(out, 'small.txt'), 'utf8'), 'hello from the bundle\n', 'the small file restored');
  t.ok(readFileSync(join(out, 'sub', 'large.bin')).equals(readFileSync(join(data, 'sub', 'large.bin'))), 'the large file restored');
});
