/** `rozen ls <repo> <snapshot> [path]`: list the files of a snapshot. */
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { findNode, walkTree } from '../../snapshot/trees.js';
import { findSnapshot } from '../../repo/snapshots.js';
import { withRepo } from '../context.js';
import { out } from '../output.js';
import { longLine } from '../long-line.js';
import { selectorOptions, snapshotFilter, type SelectorOpts } from './selector.js';
import { shortId } from '../../core/ids.js';

export function registerLs(program: Command): void {
  selectorOptions(
    program
      .command('ls')
      .description('list files in a snapshot (recursively below an optional path)')
      .argument('<repo>')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .argument('[path]', 'only list below this path of the snapshot', '/')
      .option('-l, --long', 'long listing: mode, owner, size, mtime'),
  ).action(async (url: string, sel: string, path: string, opts: SelectorOpts & { long?: boolean }, cmd: Command) => {
    await withRepo(url, cmd, async (repo) => {
      const snap = await findSnapshot(repo, sel, snapshotFilter(opts));
      let root = snap.tree;
      const prefix = path.replace(/\/+$/, '');
      if (prefix !== '') {
        const node = await findNode(repo, snap.tree, prefix);
        if (!node) throw new RozenError('NotFound', `${path} is not in snapshot ${shortId(snap.id)}`);
        if (node.type !== 'dir' || !node.subtree) {
          out(opts.long ? longLine(prefix, node) : prefix);
          return;
        }
        root = node.subtree;
      }
      for await (const { path: p, node } of walkTree(repo, root, Buffer.from(prefix))) {
        const s = p.toString();
        out(opts.long ? longLine(s, node) : s);
      }
    });
  });
}
