/** `rozen ls <repo> <snapshot> [path]`: list the files of a snapshot. */
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { findNode, walkTree } from '../../snapshot/trees.js';
import type { Node } from '../../snapshot/node.js';
import { findSnapshot } from '../../repo/snapshots.js';
import { withRepo } from '../context.js';
import { out } from '../output.js';
import { selectorOptions, snapshotFilter, type SelectorOpts } from './selector.js';
import { shortId } from '../../core/ids.js';

const TYPE_CHAR: Record<Node['type'], string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b', socket: 's' };

export function modeString(n: Node): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((n.mode >> (8 - i)) & 1 ? c : '-'));
  if (n.mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (n.mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (n.mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return TYPE_CHAR[n.type] + bits.join('');
}

export function longLine(path: string, n: Node): string {
  const time = new Date(Number(n.mtimeNs / 1_000_000n)).toISOString().slice(0, 19).replace('T', ' ');
  const owner = `${n.user ?? n.uid}/${n.group ?? n.gid}`;
  const target = n.type === 'symlink' && n.linkTarget ? ` -> ${n.linkTarget.toString()}` : '';
  return `${modeString(n)} ${owner.padEnd(12)} ${String(n.size).padStart(12)} ${time} ${path}${target}`;
}

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
