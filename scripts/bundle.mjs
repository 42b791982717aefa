// Bundles the compiled CLI (dist/main.js) into dist/bundle/: one file to load instead of ~190 ES
// modules read one by one through the thread pool, a delay every command paid before it did
// anything. Packages with native parts and the AWS SDK (loaded only for S3 repositories) stay in
// node_modules; LevelDB and zstd-napi are loaded when first used. The chunks sit two levels below
// the repository root, as dist/core/addon.js does, so the addon path resolves as it does unbundled.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
// Chunks of an earlier build would linger: their names change with their contents.
rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['zstd-napi', 'classic-level', 'level', '@aws-sdk/*'],
  // msgpackr's plain JavaScript build: its Node entry first probes for the optional native msgpackr-extract
  // (detect-libc, prebuild paths) at every start, to speed up decoding of long strings, which
  // Rozen's small records (config, snapshots, locks) do not have.
  alias: { msgpackr: './node_modules/msgpackr/index.js' },
  // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
  banner: { js: "import { createRequire as __rozenRequire } from 'node:module'; const require = __rozenRequire(import.meta.url);" },
  logLevel: 'warning',
});
