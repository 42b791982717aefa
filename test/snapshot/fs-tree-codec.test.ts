/** Tree blob codec: round trips, byte-exact agreement with FORMAT §9.2, and strict rejection of bad input. */
import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { BlobId } from '../../src/core/ids.js';
import type { Node } from '../../src/snapshot/node.js';
import { decodeTree, decodeTreeRefs, encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import { node } from '../helpers/node.js';
import { TYPES, nodeArb, treeArb } from '../helpers/tree-arb.js';

t.test('decode(encode(x)) = x', async (t) => {
  fc.assert(
    fc.property(treeArb, (nodes) => {
      t.strictSame(decodeTree(encodeTree(nodes)), nodes);
    }),
    { numRuns: 300 },
  );
});

t.test('bytes match an independent encoder written from FORMAT §9.2', async (t) => {
  fc.assert(
    fc.property(treeArb, (nodes) => Buffer.from(encodeTree(nodes)).equals(reference(nodes))),
    { numRuns: 300 },
  );
  t.pass();
});

t.test('a known tree has known bytes', async (t) => {
  const node: Node = {
    name: Buffer.from('a'),
    type: 'fifo',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtimeNs: 1n,
    atimeNs: 2n,
    ctimeNs: -1n,
    size: 0,
    allocated: 0,
    device: 2 ** 32,
    inode: 7,
    links: 1,
  };
  const hex = Buffer.from(encodeTree([node])).toString('hex');
  t.equal(
    hex,
    '82a17601a16591' +
      '8d' +
      'a16ec40161' +
      'a17403' +
      'a16dcd01a4' +
      'a17500' +
      'a16700' +
      'a26d74d30000000000000001' +
      'a26174d30000000000000002' +
      'a26374d3ffffffffffffffff' +
      'a17300' +
      'a2616c00' +
      'a164d30000000100000000' +
      'a16907' +
      'a16c01',
  );
});

t.test('corrupt or malicious trees are rejected as CorruptData', async (t) => {
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  const good = {
    n: Buffer.from('x'),
    t: 0,
    m: 0o644,
    u: 0,
    g: 0,
    mt: 1n,
    at: 1n,
    ct: 1n,
    s: 0,
    al: 0,
    d: 0,
    i: 0,
    l: 1,
  };
  const bad: [string, unknown][] = [
    ['not msgpack', null],
    ['wrong version', { v: 2, e: [] }],
    ['extra top key', { v: 1, e: [], x: 1 }],
    ['entries not an array', { v: 1, e: {} }],
    ['unknown key', { v: 1, e: [{ ...good, zz: 1 }] }],
    ['missing key', { v: 1, e: [{ ...good, mt: undefined }] }],
    ['name ..', { v: 1, e: [{ ...good, n: Buffer.from('..') }] }],
    ['name with /', { v: 1, e: [{ ...good, n: Buffer.from('a/b') }] }],
    ['empty name', { v: 1, e: [{ ...good, n: Buffer.alloc(0) }] }],
    ['name as string', { v: 1, e: [{ ...good, n: 'x' }] }],
    ['unsorted', { v: 1, e: [{ ...good, n: Buffer.from('z') }, good] }],
    ['duplicate', { v: 1, e: [good, good] }],
    ['bad type', { v: 1, e: [{ ...good, t: 7 }] }],
    ['mode with type bits', { v: 1, e: [{ ...good, m: 0o100644 }] }],
    ['negative size', { v: 1, e: [{ ...good, s: -1 }] }],
    ['fractional size', { v: 1, e: [{ ...good, s: 1.5 }] }],
    ['time as float', { v: 1, e: [{ ...good, mt: 1.5 }] }],
    ['subtree on a file', { v: 1, e: [{ ...good, st: Buffer.alloc(32) }] }],
    ['short blob id', { v: 1, e: [{ ...good, c: [Buffer.alloc(31)], cs: [1] }] }],
    ['content without sizes', { v: 1, e: [{ ...good, c: [Buffer.alloc(32)] }] }],
    ['symlink without target', { v: 1, e: [{ ...good, t: 2 }] }],
    ['rdev on a file', { v: 1, e: [{ ...good, r: 5 }] }],
    [
      'unsorted xattrs',
      {
        v: 1,
        e: [
          {
            ...good,
            x: [
              ['user.b', Buffer.alloc(0)],
              ['user.a', Buffer.alloc(0)],
            ],
          },
        ],
      },
    ],
    ['empty xattrs', { v: 1, e: [{ ...good, x: [] }] }],
  ];
  for (const [what, value] of bad) {
    const bytes = value === null ? Buffer.from([0xc1]) : packr.pack(JSON.parse(JSON.stringify(value, jsonable), revive));
    t.throws(() => decodeTree(bytes), { code: 'CorruptData' }, what);
  }
  const ok = encodeTree([]);
  t.throws(() => decodeTree(ok.subarray(0, ok.length - 1)), { code: 'CorruptData' }, 'truncated');
  t.throws(() => decodeTree(Buffer.concat([ok, Buffer.from([0])])), { code: 'CorruptData' }, 'trailing');
});

t.test('readers accept any integer encoding and any key order (FORMAT §9.2)', async (t) => {
  // Re-encode each entry by hand: keys in a random order, every integer in a longer form.
  const loose = (n: Node, order: number[], wide: boolean): Buffer => {
    const u = (v: number): Buffer => (wide ? Buffer.concat([Buffer.from([0xcf]), be64(BigInt(v))]) : uintBytes(v));
    const fields: [string, Buffer][] = [
      ['n', bin(n.name)],
      ['t', u(TYPES.indexOf(n.type))],
      ['m', u(n.mode)],
      ['u', u(n.uid)],
      ['g', u(n.gid)],
      ['mt', int64(n.mtimeNs)],
      ['at', int64(n.atimeNs)],
      ['ct', int64(n.ctimeNs)],
      ['s', u(n.size)],
      ['al', u(n.allocated)],
      ['d', u(n.device)],
      ['i', u(n.inode)],
      ['l', u(n.links)],
    ];
    if (n.content !== undefined) {
      fields.push(['c', Buffer.concat([arrayHeader(n.content.length), ...n.content.map((id) => bin(Buffer.from(id, 'hex')))])]);
      fields.push(['cs', Buffer.concat([arrayHeader(n.sizes!.length), ...n.sizes!.map(u)])]);
    }
    if (n.subtree !== undefined) fields.push(['st', bin(Buffer.from(n.subtree, 'hex'))]);
    const shuffled = order
      .slice(0, fields.length)
      .map((i) => fields[i % fields.length]!)
      .filter((f, i, all) => all.indexOf(f) === i);
    const rest = fields.filter((f) => !shuffled.includes(f));
    return Buffer.concat([
      Buffer.from([0xde, 0, shuffled.length + rest.length]),
      ...[...shuffled, ...rest].flatMap(([k, v]) => [str(k), v]),
    ]);
  };
  const plain = nodeArb.filter(
    (n) => n.user === undefined && n.group === undefined && n.xattrs === undefined && n.linkTarget === undefined && n.rdev === undefined,
  );
  fc.assert(
    fc.property(plain, fc.array(fc.nat(30), { minLength: 20, maxLength: 20 }), fc.boolean(), (n, order, wide) => {
      const bytes = Buffer.concat([
        Buffer.from([0x82]),
        str('e'),
        Buffer.from([0xdd, 0, 0, 0, 1]),
        loose(n, order, wide),
        str('v'),
        Buffer.from([0xd0, 1]),
      ]);
      t.strictSame(decodeTree(bytes), [n]);
    }),
    { numRuns: 200 },
  );
  t.strictSame(decodeTree(Buffer.from('82a17601a16590', 'hex')), [], 'an empty tree');
  t.throws(() => decodeTree(Buffer.from('83a17601a16590a17601', 'hex')), { code: 'CorruptData' }, 'a key twice at the top');
  const one = Buffer.from(encodeTree([node('a', 'fifo', { mode: 0, device: 0, inode: 0 })]));
  const twice = Buffer.concat([one.subarray(0, 6), Buffer.from([one[6]! + 1]), one.subarray(7), str('l'), Buffer.from([1])]);
  t.throws(() => decodeTree(twice), { code: 'CorruptData' }, 'a key twice in an entry');
  for (const [what, int] of [
    ['negative int8', 'd0ff'],
    ['negative fixint', 'ff'],
    ['int64 above 2^53', 'd30020000000000000'],
    ['float', 'cb3ff0000000000000'],
  ]) {
    const bytes = Buffer.from(one.toString('hex').replace(/a17300/, `a173${int}`), 'hex');
    t.throws(() => decodeTree(bytes), { code: 'CorruptData' }, `size as ${what}`);
  }
  t.strictSame(decodeTree(Buffer.from(one.toString('hex').replace(/a17300/, 'a173d10005'), 'hex'))[0]!.size, 5, 'size as a positive int16');
});

t.test('damaged bytes give CorruptData or a valid tree, never another error', async (t) => {
  fc.assert(
    fc.property(treeArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (nodes, flips, cut) => {
      const bytes = Buffer.from(encodeTree(nodes));
      for (const [at, v] of flips) bytes[at % bytes.length] = v;
      const damaged = cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
      let decoded: Node[];
      try {
        decoded = decodeTree(damaged);
      } catch (err) {
        return (err as { code?: string }).code === 'CorruptData';
      }
      t.strictSame(decodeTree(encodeTree(decoded)), decoded);
      return true;
    }),
    { numRuns: 2000 },
  );
});

t.test('decodeTreeRefs gives the names, subtrees and content ids of a full decode', async (t) => {
  fc.assert(
    fc.property(treeArb, (nodes) => {
      const want = nodes
        .filter((n) => n.subtree !== undefined || n.content !== undefined)
        .map((n) => ({ name: n.name, subtree: n.subtree, content: n.content }));
      t.strictSame(
        decodeTreeRefs(encodeTree(nodes)).map((r) => ({ ...r, name: Buffer.from(r.name) })),
        want,
      );
    }),
    { numRuns: 300 },
  );
  const ok = encodeTree([]);
  t.throws(() => decodeTreeRefs(ok.subarray(0, ok.length - 1)), { code: 'CorruptData' }, 'truncated');
  t.throws(() => decodeTreeRefs(Buffer.concat([ok, Buffer.from([0])])), { code: 'CorruptData' }, 'trailing');
  t.throws(() => decodeTreeRefs(Buffer.from('82a17602a16590', 'hex')), { code: 'CorruptData' }, 'version 2');
  t.throws(() => decodeTreeRefs(Buffer.from('82a17601a16591' + '81a273740100', 'hex')), { code: 'CorruptData' }, 'st not a 32-byte id');
});

t.test('encode refuses unsorted or unsafe names', async (t) => {
  const n = (name: string): Node => node(name, 'file', { mode: 0, device: 0, inode: 0 });
  t.throws(() => encodeTree([n('b'), n('a')]), { code: 'InvalidArgument' });
  t.throws(() => encodeTree([n('a/b')]), { code: 'InvalidArgument' });
  const id = 'ab'.repeat(32) as BlobId;
  const bad: [string, Node][] = [
    ['a blob id that is not hex', { ...n('f'), content: ['zz'.repeat(32) as BlobId], sizes: [1] }],
    ['a short blob id', { ...n('f'), content: [id.slice(2) as BlobId], sizes: [1] }],
    ['a subtree id that is not hex', { ...n('d'), type: 'dir', subtree: 'g'.repeat(64) as BlobId }],
    ['sizes not matching content', { ...n('f'), content: [id], sizes: [] }],
    ['a negative size', { ...n('f'), size: -1 }],
    ['a fractional uid', { ...n('f'), uid: 1.5 }],
    ['a time beyond int64', { ...n('f'), mtimeNs: 2n ** 63n }],
  ];
  for (const [what, node] of bad) t.throws(() => encodeTree([node]), { code: 'InvalidArgument' }, what);
  t.ok(Buffer.from(encodeTree([n('a')])).equals(reference([n('a')])), 'a failed encoding leaves nothing behind');
});

/** JSON round trip keeps Buffers and bigints so the bad-input table can be written as plain literals. */
function jsonable(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $big: v.toString() };
  return v;
}
function revive(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'type' in v && v.type === 'Buffer' && 'data' in v) return Buffer.from(v.data as number[]);
  if (v !== null && typeof v === 'object' && '$big' in v) return BigInt(v.$big as string);
  return v;
}

// ---- Reference encoder: a direct reading of FORMAT §9.2, sharing no code with the codec. ----

function reference(nodes: readonly Node[]): Buffer {
  return Buffer.concat([mapHeader(2), str('v'), uintBytes(1), str('e'), arrayHeader(nodes.length), ...nodes.map(refNode)]);
}

function refNode(n: Node): Buffer {
  const fields: [string, Buffer][] = [
    ['n', bin(n.name)],
    ['t', uintBytes(TYPES.indexOf(n.type))],
    ['m', uintBytes(n.mode)],
    ['u', uintBytes(n.uid)],
    ['g', uintBytes(n.gid)],
  ];
  if (n.user !== undefined) fields.push(['un', str(n.user)]);
  if (n.group !== undefined) fields.push(['gn', str(n.group)]);
  fields.push(['mt', int64(n.mtimeNs)], ['at', int64(n.atimeNs)], ['ct', int64(n.ctimeNs)]);
  for (const [k, v] of [
    ['s', n.size],
    ['al', n.allocated],
    ['d', n.device],
    ['i', n.inode],
    ['l', n.links],
  ] as const) {
    fields.push([k, uintBytes(v)]);
  }
  if (n.rdev !== undefined) fields.push(['r', uintBytes(n.rdev)]);
  if (n.linkTarget !== undefined) fields.push(['lt', bin(n.linkTarget)]);
  if (n.xattrs !== undefined) {
    fields.push([
      'x',
      Buffer.concat([arrayHeader(n.xattrs.length), ...n.xattrs.map(([k, v]) => Buffer.concat([arrayHeader(2), str(k), bin(v)]))]),
    ]);
  }
  if (n.content !== undefined) {
    fields.push(['c', Buffer.concat([arrayHeader(n.content.length), ...n.content.map((id) => bin(Buffer.from(id, 'hex')))])]);
    fields.push(['cs', Buffer.concat([arrayHeader(n.sizes!.length), ...n.sizes!.map(uintBytes)])]);
  }
  if (n.subtree !== undefined) fields.push(['st', bin(Buffer.from(n.subtree, 'hex'))]);
  return Buffer.concat([mapHeader(fields.length), ...fields.flatMap(([k, v]) => [str(k), v])]);
}

function uintBytes(v: number): Buffer {
  if (v > 0xffffffff) return int64(BigInt(v));
  if (v < 0x80) return Buffer.from([v]);
  if (v < 0x100) return Buffer.from([0xcc, v]);
  if (v < 0x10000) return Buffer.from([0xcd, v >> 8, v & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xce;
  b.writeUInt32BE(v, 1);
  return b;
}

function be64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

function int64(v: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0xd3;
  b.writeBigInt64BE(v, 1);
  return b;
}

function lengthHeader(len: number, fix: number | undefined, fixMax: number, codes: [number, number, number]): Buffer {
  if (fix !== undefined && len <= fixMax) return Buffer.from([fix | len]);
  if (len < 0x100 && codes[0] !== 0) return Buffer.from([codes[0], len]);
  if (len < 0x10000) return Buffer.from([codes[1], len >> 8, len & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = codes[2];
  b.writeUInt32BE(len, 1);
  return b;
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lengthHeader(bytes.length, 0xa0, 31, [0xd9, 0xda, 0xdb]), bytes]);
}
function bin(b: Uint8Array): Buffer {
  return Buffer.concat([lengthHeader(b.length, undefined, -1, [0xc4, 0xc5, 0xc6]), b]);
}
function arrayHeader(n: number): Buffer {
  return lengthHeader(n, 0x90, 15, [0, 0xdc, 0xdd]);
}
function mapHeader(n: number): Buffer {
  return lengthHeader(n, 0x80, 15, [0, 0xde, 0xdf]);
}
