/** `rozen version`: the versions of Rozen, its repository format, Node.js and the native addon, for bug reports. */
import type { Command } from 'commander';
import { type VersionInfo, versionInfo } from '../version-info.js';
import { json, out, warn } from '../output.js';

function printVersion(v: VersionInfo): void {
  const a = v.addon;
  out(`rozen ${v.rozen}`);
  out(`repository format ${v.repositoryFormat}`);
  out(`node ${v.node.version} (${v.node.platform} ${v.node.arch}, N-API ${v.node.napi})`);
  out(`addon ${a.path}`);
  if (a.sha256 !== undefined) out(`  sha256 ${a.sha256}, built ${a.built ?? '?'}`);
  if (a.zstd !== undefined) out(`  zstd ${a.zstd}, ${a.compiler ?? '?'}, N-API ${a.napi ?? '?'}, ${a.openssl ?? '?'} headers`);
}

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the versions of Rozen, the repository format it reads and writes, Node.js and the native addon')
    .option('--json', 'print them as JSON')
    .addHelpText('after', '\n`rozen --version` prints the version of Rozen alone. Exit code 1 when the addon cannot be loaded.')
    .action((opts: { json?: boolean }) => {
      const v = versionInfo();
      if (opts.json) json(v);
      else printVersion(v);
      if (v.addon.error === undefined) return;
      warn(`native addon ${v.addon.path}: ${v.addon.error}`);
      process.exitCode = 1;
    });
}
