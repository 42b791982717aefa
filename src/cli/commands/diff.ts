/** `rozen diff <repo> <snap1> <snap2>`: what changed between two snapshots. */
import type { Command } from 'commander';
import { findSnapshot } from '../../repo/snapshots.js';
import { diffTrees } from '../../snapshot/diff.js';
import { withRepo } from '../context.js';
import { out } from '../output.js';
import { shortId } from '../../core/ids.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show added (+), removed (-), modified (M), type-changed (T) and metadata-changed (U) entries')
    .argument('<repo>')
    .argument('<snapshot1>')
    .argument('<snapshot2>')
    .action(async (url: string, s1: string, s2: string, _o: unknown, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        const a = await findSnapshot(repo, s1);
        const b = await findSnapshot(repo, s2);
        const counts: Record<string, number> = { '+': 0, '-': 0, M: 0, T: 0, U: 0 };
        for await (const d of diffTrees(repo, a.tree, b.tree)) {
          counts[d.change] = (counts[d.change] ?? 0) + 1;
          out(`${d.change}    ${d.path}`);
        }
        out(
          `\n${shortId(a.id)} -> ${shortId(b.id)}: ${counts['+']} added, ${counts['-']} removed, ${counts['M']} modified, ${counts['T']} type changed, ${counts['U']} metadata changed`,
        );
      });
    });
}
