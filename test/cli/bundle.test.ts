/** The executable loads the bundle (scripts/bundle.mjs: one file, not ~190 modules) unless it is older than the modules. */
import { spawnSync } from 'node:child_process';
import { utimesSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { CLI } from '../helpers/cli.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
// Records every ES module Node loads, as file URLs on stderr.
const hooks = join(mkdtempSync(join(tmpdir(), 'rozen-bundle-')), 'hooks.mjs');
writeFileSync(hooks, `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'export async function load(url, context, next) { if (url.startsWith("file:")) process._rawDebug("loaded " + url); return next(url, context); }'));
`);

function loaded(t: Test): string[] {
  const r = spawnSync(process.execPath, ['--import', hooks, CLI, '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  t.equal(r.status, 0, '--help runs', { stderr: r.stderr.slice(-2000) });
  return r.stderr.split('\n').filter((l) => l.startsWith('loaded ')).map((l) => l.slice('loaded '.length));
}

t.test('the built executable runs the bundle', async (t) => {
  const urls = loaded(t);
  t.ok(urls.some((u) => u.endsWith('/dist/bundle/main.js')), 'dist/bundle/main.js is loaded');
  t.notOk(urls.some((u) => u.includes('/dist/cli/') || u.includes('/dist/repo/')), 'no module of dist/ one by one');
});

t.test('a bundle older than the compiled modules is not used', async (t) => {
  const main = join(dist, 'main.js');
  const { atime, mtime } = statSync(main);
  t.teardown(() => utimesSync(main, atime, mtime));
  const later = new Date(statSync(join(dist, 'bundle/main.js')).mtimeMs + 60_000);
  utimesSync(main, later, later);
  const urls = loaded(t);
  t.notOk(urls.some((u) => u.includes('/dist/bundle/')), 'the bundle is skipped');
  t.ok(urls.some((u) => u.endsWith('/dist/main.js')), 'the modules are loaded instead');
});
