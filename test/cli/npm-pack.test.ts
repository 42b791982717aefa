/**
 * `npm pack` makes a tarball that `npm install -g` turns into a working `rozen`, its native addon built by the
 * package's install step. The tarball is packed with --ignore-scripts from the dist/ that `npm test` has just built:
 * its prepack (`npm run build`) would build it all again.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cliSandbox, collect, type CliResult } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface PackInfo {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/**
 * zstd-napi's install downloads its prebuilt addon from GitHub, and builds it when that fails. Here it finds the one
 * in node_modules as a local prebuild: the test then needs no network beyond the npm registry (whose packages come
 * from npm's cache when there), and compiles Rozen's addon only.
 */
function zstdNapiPrebuild(dir: string): Record<string, string> {
  const from = join(root, 'node_modules/zstd-napi');
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
    version: string;
    binary: { napi_versions: number[] };
  };
  const prebuilds = join(dir, 'prebuilds');
  mkdirSync(prebuilds);
  const name = `zstd-napi-v${pkg.version}-napi-v${Math.max(...pkg.binary.napi_versions)}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(prebuilds, name), '-C', from, 'build/Release/binding.node']);
  return { npm_config_zstd_napi_local_prebuilds: prebuilds };
}

function run(command: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return collect(spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

t.test('npm pack, npm install -g of the tarball, then the installed rozen backs up', async (t) => {
  if (!existsSync(join(root, 'dist/bundle/main.js'))) {
    t.fail('dist/ is not built: run `npm run build`');
    return;
  }
  const { dir, env: sandboxEnv } = await cliSandbox(t);
  // Without tap's hooks and coverage, which would slow npm and node-gyp several times over; and without the test
  // suite's ROZEN_BUNDLE=0: an installed package holds the bundle alone.
  const env: Record<string, string> = { ...sandboxEnv, NODE_OPTIONS: '' };
  delete env['NODE_V8_COVERAGE'];
  delete env['ROZEN_BUNDLE'];
  const npmEnv = { ...env, ...zstdNapiPrebuild(dir) };

  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], npmEnv);
  t.equal(pack.code, 0, 'npm pack', { stderr: pack.stderr });
  const [info] = JSON.parse(pack.stdout) as PackInfo[];
  const paths = info!.files.map((f) => f.path);
  for (const needed of [
    'package.json',
    'README.md',
    'dist/cli.cjs',
    'dist/bundle/main.js',
    'binding.gyp',
    'src/native/rozen_native.c',
    'scripts/build-addon.cjs',
  ]) {
    t.ok(paths.includes(needed), `the tarball holds ${needed}`);
  }
  t.same(
    paths.filter((p) => /^(test|build|scripts\/bench|src\/(?!native\/))|\.(map|ts)$/.test(p)),
    [],
    'no tests, TypeScript, build outputs, benchmarks or source maps',
  );

  const prefix = join(dir, 'prefix');
  const install = await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info!.filename)],
    npmEnv,
  );
  t.equal(install.code, 0, 'npm install -g', { stderr: install.stderr.slice(-4000) });
  t.ok(existsSync(join(prefix, 'lib/node_modules/rozen/build/Release/rozen_native.node')), 'the install step built the addon');

  const rozen = join(prefix, 'bin', 'rozen');
  const help = await run(rozen, ['--help'], env);
  t.equal(help.code, 0, 'rozen --help', { stderr: help.stderr });
  t.match(help.stdout, /^Usage: rozen /, 'prints the usage');

  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'note.txt'), 'installed from the tarball\n');
  const repo = join(dir, 'repo');
  for (const args of [
    ['init', repo],
    ['backup', repo, data, '--quiet'],
    ['restore', repo, 'latest', '--target', join(dir, 'out')],
  ]) {
    const r = await run(rozen, args, env);
    t.equal(r.code, 0, `rozen ${args[0]!}`, { stderr: r.stderr });
  }
  const snapshots = await run(rozen, ['snapshots', repo, '--json'], env);
  t.equal(snapshots.code, 0, 'rozen snapshots', { stderr: snapshots.stderr });
  const list = JSON.parse(snapshots.stdout) as { paths: string[] }[];
  t.same(
    list.map((s) => s.paths),
    [[data]],
    'one snapshot, of the data directory',
  );
  t.equal(readFileSync(join(dir, 'out', data, 'note.txt'), 'utf8'), 'installed from the tarball\n', 'the file restored');
});
