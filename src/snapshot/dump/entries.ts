/** The entries an archive of a snapshot path holds, with names relative to it, and where archives go. */
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { walkTree } from '../trees.js';

/** Where dumped bytes go; resolves once `data` may be reused (the writer has taken it or flushed). */
export interface ByteSink {
  write(data: Uint8Array): Promise<void>;
}

/** An entry that could not go into the archive (a socket in tar, a device in zip), and why. */
export type SkipReport = (path: string, why: string) => void;

export interface DumpTop {
  /** The node dumped: a directory (its contents are archived below '.') or anything else (archived by its name). */
  readonly node: Node;
  readonly name: Buffer;
}

/**
 * Depth-first entries of `top`: a directory itself as '.', then its contents by relative path ('a', 'a/b');
 * anything else as its own name.
 */
export async function* archiveEntries(repo: Repository, top: DumpTop): AsyncGenerator<{ path: Buffer; node: Node }> {
  if (top.node.type !== 'dir') {
    yield { path: top.name, node: top.node };
    return;
  }
  yield { path: Buffer.from('.'), node: top.node };
  if (!top.node.subtree) return;
  // walkTree joins below an empty prefix as '/a': the leading '/' is dropped.
  for await (const { path, node } of walkTree(repo, top.node.subtree)) yield { path: path.subarray(1), node };
}
