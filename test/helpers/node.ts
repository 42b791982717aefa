/** A tree entry for tests: the given name and type, zero metadata, and whatever `extra` sets. */
import type { Node } from '../../src/snapshot/node.js';

export function node(name: string | Buffer, type: Node['type'], extra: Partial<Node> = {}): Node {
  return {
    name: typeof name === 'string' ? Buffer.from(name) : name,
    type,
    mode: type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtimeNs: 0n,
    atimeNs: 0n,
    ctimeNs: 0n,
    size: 0,
    allocated: 0,
    device: 1,
    inode: 1,
    links: 1,
    ...extra,
  };
}
