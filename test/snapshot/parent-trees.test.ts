import fc from 'fast-check';
import t from 'tap';
import type { BlobId } from '../../src/core/ids.js';
import { parentEntry, sameTree, type ParentDir } from '../../src/snapshot/backup/parent-trees.js';
import type { Node } from '../../src/snapshot/node.js';

const id = (c: string): BlobId => c.repeat(64) as BlobId;

const file: Node = {
  name: Buffer.from('a.txt'),
  type: 'file',
  mode: 0o644,
  uid: 1,
  gid: 2,
  user: 'u',
  group: 'g',
  mtimeNs: 10n,
  atimeNs: 11n,
  ctimeNs: 12n,
  size: 3,
  allocated: 4096,
  device: 5,
  inode: 6,
  links: 1,
  xattrs: [['user.x', Buffer.from('1')]],
  content: [id('a')],
  sizes: [3],
};
/** The file's metadata without its content, absent as it is in a decoded directory or symlink node. */
const { content: _content, sizes: _sizes, ...meta } = file;
const dir: Node = {
  ...meta,
  name: Buffer.from('d'),
  type: 'dir',
  size: 0,
  xattrs: [],
  subtree: id('b'),
};
const link: Node = {
  ...meta,
  name: Buffer.from('l'),
  type: 'symlink',
  linkTarget: Buffer.from('a.txt'),
};
const nodes = [file, dir, link];
const parent: ParentDir = { tree: id('c'), entries: nodes, next: 0 };

t.test('an unchanged directory reuses the parent tree id', async (t) => {
  t.equal(
    sameTree(
      parent,
      nodes.map((n) => ({ ...n })),
    ),
    id('c'),
  );
  t.equal(sameTree(undefined, nodes), undefined, 'no parent');
  t.equal(sameTree(parent, nodes.slice(0, 2)), undefined, 'an entry fewer');
  t.equal(sameTree(parent, [dir, file, link]), undefined, 'another order');
});

t.test('any recorded field that differs means a new tree', async (t) => {
  const changes: [number, Partial<Record<keyof Node, unknown>>][] = [
    [0, { name: Buffer.from('b.txt') }],
    [0, { mode: 0o600 }],
    [0, { uid: 9 }],
    [0, { gid: 9 }],
    [0, { user: 'v' }],
    [0, { group: undefined }],
    [0, { mtimeNs: 1n }],
    [0, { atimeNs: 1n }],
    [0, { ctimeNs: 1n }],
    [0, { size: 4 }],
    [0, { allocated: 0 }],
    [0, { device: 1 }],
    [0, { inode: 1 }],
    [0, { links: 2 }],
    [0, { rdev: 3 }],
    [0, { xattrs: [['user.x', Buffer.from('2')]] }],
    [0, { xattrs: undefined }],
    [0, { content: [id('d')] }],
    [0, { content: undefined }],
    [0, { sizes: [4] }],
    [1, { subtree: id('e') }],
    [2, { linkTarget: Buffer.from('b') }],
    [0, { type: 'fifo' }],
  ];
  for (const [i, change] of changes) {
    const changed = nodes.map((n, k) => (k === i ? ({ ...n, ...change } as Node) : n));
    t.equal(sameTree(parent, changed), undefined, JSON.stringify(Object.keys(change)));
  }
  const { xattrs: _xattrs, ...dirWithout } = dir;
  const emptyLists = nodes.map((n, k) => (k === 1 ? dirWithout : n));
  t.equal(sameTree(parent, emptyLists), id('c'), 'no xattrs and an empty list encode alike');
});

t.test('parentEntry finds each name asked for, in any order, as a map by name would', async (t) => {
  const names = fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 3 }), { selector: (b) => Buffer.from(b).toString('hex') });
  fc.assert(
    fc.property(names, fc.array(fc.uint8Array({ minLength: 1, maxLength: 3 })), fc.boolean(), (raw, extra, inOrder) => {
      const sorted = raw.map((b) => Buffer.from(b)).sort((a, b) => Buffer.compare(a, b));
      const entries = sorted.map((name) => ({ ...file, name }));
      const model = new Map(entries.map((n) => [n.name.toString('hex'), n]));
      const dir: ParentDir = { tree: id('c'), entries, next: 0 };
      // The walk's order (every name, sorted, some absent from the parent among them), or any order.
      const asked = [...sorted, ...extra.map((b) => Buffer.from(b))];
      if (inOrder) asked.sort((a, b) => Buffer.compare(a, b));
      for (const name of asked) {
        if (parentEntry(dir, name) !== model.get(name.toString('hex'))) throw new Error(`wrong entry for ${name.toString('hex')}`);
      }
    }),
  );
  t.equal(parentEntry(undefined, Buffer.from('a')), undefined, 'no parent');
});
