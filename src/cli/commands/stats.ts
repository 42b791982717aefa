/** `rozen stats <repo>`: snapshots, files, unique and stored bytes, compression, packs by kind and per extension. */
import type { Command } from 'commander';
import { repositoryStats, type RepoStats } from '../../lifecycle/stats.js';
import { acquireLock } from '../../repo/lock.js';
import { withRepo } from '../context.js';
import { formatBytes, json, out, warn } from '../output.js';

const ratio = (raw: number, stored: number): string => (stored > 0 ? `${(raw / stored).toFixed(2)}x` : '-');

function printStats(s: RepoStats): void {
  out(`snapshots:          ${s.snapshots}`);
  out(`files:              ${s.files} (summed over snapshots)`);
  out(`unique data:        ${formatBytes(s.uniqueBytes)} (${formatBytes(s.uniqueStoredBytes)} stored)`);
  out(
    `stored:             ${formatBytes(s.storedBytes)} in ${s.packs.normal.count + s.packs.degenerate.count + s.packs.tree.count} pack(s)`,
  );
  out(`compression ratio:  ${ratio(s.uniqueBytes, s.uniqueStoredBytes)}`);
  for (const [kind, p] of Object.entries(s.packs)) out(`  ${kind.padEnd(11)} packs: ${p.count}, ${formatBytes(p.bytes)}`);
  if (s.extensions.length === 0) return;
  out('by extension (each distinct blob counted once):');
  for (const e of s.extensions) {
    out(
      `  ${(e.extension === '' ? '(none)' : `.${e.extension}`).padEnd(14)} ${String(e.files).padStart(8)} files  ${formatBytes(e.raw).padStart(11)} -> ${formatBytes(e.stored).padStart(11)}  ${ratio(e.raw, e.stored)}`,
    );
  }
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('sizes, deduplication and compression of the repository')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .option('--json', 'print the figures as JSON')
    .action(async (url: string, opts: { json?: boolean }, c: Command) => {
      await withRepo(url, c, async (repo) => {
        const lock = await acquireLock(repo, false);
        try {
          const s = await repositoryStats(repo, warn);
          if (opts.json) json({ ...s, extensions: s.extensions.map((e) => ({ ...e, ratio: e.stored > 0 ? e.raw / e.stored : 1 })) });
          else printStats(s);
        } finally {
          await lock.release();
        }
      });
    });
}
