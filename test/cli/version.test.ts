/**
 * `rozen version` and `rozen --version` through the real CLI: Rozen's version (package.json's), the repository format
 * version (docs/FORMAT.md's), Node's, and the native addon that is loaded (its file's hash, the zstd it links).
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, rozen } from '../helpers/cli.js';
import { spawn } from 'node:child_process';

const root = fileURLToPath(new URL('../../', import.meta.url));
const env = process.env as Record<string, string>;

async function expected(): Promise<{ rozen: string; format: number; sha256: string; zstd: string }> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const format = /^# Rozen repository format, version (\d+)$/m.exec(await readFile(join(root, 'docs/FORMAT.md'), 'utf8'))?.[1];
  const addonFile = await readFile(join(root, 'build/Release/rozen_native.node'));
  const header = await readFile(join(root, 'node_modules/zstd-napi/deps/zstd/lib/zstd.h'), 'utf8');
  const part = (p: string): string => new RegExp(`#define ZSTD_VERSION_${p} +(\\d+)`).exec(header)?.[1] ?? '?';
  return {
    rozen: pkg.version,
    format: Number(format),
    sha256: createHash('sha256').update(addonFile).digest('hex'),
    zstd: `${part('MAJOR')}.${part('MINOR')}.${part('RELEASE')}`,
  };
}

t.test('rozen version: text, and the same as JSON', async (t) => {
  const want = await expected();
  const text = await rozen(['version'], env);
  t.equal(text.code, 0, text.stderr);
  t.equal(text.stderr, '');
  const lines = text.stdout.split('\n');
  t.equal(lines[0], `rozen ${want.rozen}`);
  t.equal(lines[1], `repository format ${want.format}`);
  t.match(lines[2], `node ${process.version} (${process.platform} ${process.arch}, N-API ${process.versions.napi})`);
  t.equal(lines[3], `addon ${join(root, 'build/Release/rozen_native.node')}`);
  t.match(lines[4], `sha256 ${want.sha256}, built 20`);
  t.match(lines[5], new RegExp(`^  zstd ${want.zstd.replaceAll('.', '\\.')}, (gcc|clang) \\S+, N-API \\d+, OpenSSL`));

  const json = await rozen(['version', '--json'], env);
  t.equal(json.code, 0, json.stderr);
  const v = JSON.parse(json.stdout) as Record<string, unknown>;
  t.match(v, {
    rozen: want.rozen,
    repositoryFormat: want.format,
    node: { version: process.version, platform: process.platform, arch: process.arch, napi: process.versions.napi },
    addon: { sha256: want.sha256, zstd: want.zstd, napi: Number, compiler: String, openssl: String, built: String },
  });
  t.equal((v['addon'] as { error?: string }).error, undefined);
});

t.test('rozen --version prints the version alone, the one package.json holds', async (t) => {
  const r = await rozen(['--version'], env);
  t.equal(r.code, 0);
  t.equal(r.stdout, `${(await expected()).rozen}\n`);
});

t.test('without the addon, rozen version still prints the rest, says what is missing and exits 1', async (t) => {
  // A copy of the built CLI beside no build/ directory; its packages are the checkout's.
  const dir = await mkdtemp(join(tmpdir(), 'rozen-version-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  const r = await collect(
    spawn(process.execPath, [join(dir, 'dist/cli.cjs'), 'version', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  t.equal(r.code, 1);
  const v = JSON.parse(r.stdout) as { rozen: string; addon: { path: string; error: string; sha256?: string } };
  t.equal(v.rozen, (await expected()).rozen);
  t.equal(v.addon.path, join(dir, 'build/Release/rozen_native.node'));
  t.equal(v.addon.error, 'cannot read it: ENOENT');
  t.equal(r.stderr, `rozen: native addon ${v.addon.path}: cannot read it: ENOENT\n`);
});
