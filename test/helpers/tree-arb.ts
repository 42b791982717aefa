/** Arbitrary tree entries for codec tests: every type, optional key and value range FORMAT §9.2 allows. */
import fc from 'fast-check';
import type { BlobId } from '../../src/core/ids.js';
import type { Node, NodeType } from '../../src/snapshot/node.js';

export const TYPES: NodeType[] = ['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket'];
const uint = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });
const int64Arb = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const blobId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex') as BlobId);
const name = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .map((b) => Buffer.from(b.map((c) => (c === 0 || c === 0x2f ? 0x41 : c))))
  .filter((b) => !b.equals(Buffer.from('.')) && !b.equals(Buffer.from('..')));
const xattrName = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).map((s) => `user.${s}`);

export const nodeArb: fc.Arbitrary<Node> = fc
  .record({
    name,
    type: fc.constantFrom(...TYPES),
    mode: uint(0o7777),
    uid: uint(0xffffffff),
    gid: uint(0xffffffff),
    user: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    group: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    mtimeNs: int64Arb,
    atimeNs: int64Arb,
    ctimeNs: int64Arb,
    size: uint(Number.MAX_SAFE_INTEGER),
    allocated: uint(Number.MAX_SAFE_INTEGER),
    device: uint(Number.MAX_SAFE_INTEGER),
    inode: uint(Number.MAX_SAFE_INTEGER),
    links: uint(0xffffffff),
    rdev: uint(2 ** 40),
    linkTarget: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
    xattrs: fc.uniqueArray(
      fc.tuple(
        xattrName,
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      ),
      {
        selector: ([k]) => k,
        maxLength: 4,
      },
    ),
    blobs: fc.array(fc.tuple(blobId, uint(2 ** 33)), { maxLength: 5 }),
    subtree: blobId,
  })
  .map(({ user, group, rdev, linkTarget, xattrs, blobs, subtree, ...n }): Node => ({
    ...n,
    ...(user !== undefined && { user }),
    ...(group !== undefined && { group }),
    ...((n.type === 'chardev' || n.type === 'blockdev') && { rdev }),
    ...(n.type === 'symlink' && { linkTarget }),
    ...(xattrs.length > 0 && { xattrs: xattrs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))) }),
    ...(n.type === 'file' && { content: blobs.map(([id]) => id), sizes: blobs.map(([, s]) => s) }),
    ...(n.type === 'dir' && { subtree }),
  }));

/** Entries sorted by name, as a tree holds them. */
export const treeArb = fc
  .uniqueArray(nodeArb, { selector: (n) => n.name.toString('hex'), maxLength: 12 })
  .map((nodes) => nodes.sort((a, b) => Buffer.compare(a.name, b.name)));
