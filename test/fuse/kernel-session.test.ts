/** The FUSE protocol session against a fake filesystem: request decoding and reply encoding, byte for byte. */
import t, { type Test } from 'tap';
import { Errno } from '../../src/fuse/errno.js';
import { Init, Op, Size } from '../../src/fuse/kernel/abi.js';
import { FuseSession, type KernelFs } from '../../src/fuse/kernel/session.js';
import type { Attr, DirentWriter, EntryReply } from '../../src/fuse/kernel/wire.js';

const attr = (ino: number, over: Partial<Attr> = {}): Attr => ({
  ino,
  mode: 0o100644,
  nlink: 1,
  uid: 1000,
  gid: 1001,
  rdev: 0,
  size: 12,
  blocks: 8,
  atimeNs: 1_700_000_001_000_000_002n,
  mtimeNs: -1n,
  ctimeNs: 0n,
  ...over,
});

class FakeFs implements KernelFs {
  xattrs = true;
  forgotten: [number, number][] = [];
  released: number[] = [];
  /** Called when a listing's reply has been sent: how many replies had been written by then. */
  onListingSent: () => void = () => undefined;
  lookup(parent: number, name: Buffer): EntryReply | number | Promise<EntryReply | number> {
    if (name.toString() === 'slow') return Promise.resolve({ attr: attr(7), entrySeconds: 1, attrSeconds: 2 });
    if (name.toString() === 'broken') return Promise.reject(new Error('source down'));
    if (name.toString() !== 'f') return Errno.ENOENT;
    return { attr: attr(parent + 1), entrySeconds: 3600, attrSeconds: 60 };
  }
  forget(ino: number, count: number): void {
    this.forgotten.push([ino, count]);
  }
  getattr(ino: number) {
    return { attr: attr(ino), seconds: 5 };
  }
  readlink(): Uint8Array {
    return Buffer.from([0x61, 0xff]);
  }
  opendir(ino: number) {
    return { fh: ino * 10, cache: ino !== 1 };
  }
  releasedir(fh: number): void {
    this.released.push(fh);
  }
  readdir(_ino: number, _fh: number, offset: number, out: DirentWriter): DirentWriter {
    const names = ['.', '..', 'a', 'bb', 'ccc'];
    for (let i = offset; i < names.length; i++) {
      const e = out.plus && i >= 2 ? { attr: attr(100 + i), entrySeconds: 9, attrSeconds: 9 } : undefined;
      if (!out.add(Buffer.from(names[i] as string), 100 + i, 0o040755, i + 1, e)) break;
    }
    out.onSent = () => this.onListingSent();
    return out;
  }
  read(_ino: number, offset: number, size: number): readonly Uint8Array[] {
    return offset >= 5 ? [] : [Buffer.from('hello').subarray(offset, offset + size), Buffer.from('!')];
  }
  getxattr(_ino: number, name: string): Uint8Array | number {
    return name === 'user.a' ? Buffer.from('value') : Errno.ENODATA;
  }
  listxattr(): Uint8Array {
    return Buffer.from('user.a\0user.b\0');
  }
}

interface Harness {
  session: FuseSession;
  fs: FakeFs;
  replies: Buffer[];
  notices: Buffer[];
  logs: string[];
}

function harness(): Harness {
  const replies: Buffer[] = [];
  const notices: Buffer[] = [];
  const logs: string[] = [];
  const fs = new FakeFs();
  const sink = {
    reply: (parts: readonly Uint8Array[]) => replies.push(Buffer.concat(parts)),
    notify: (parts: readonly Uint8Array[]) => notices.push(Buffer.concat(parts)),
  };
  return { session: new FuseSession(sink, fs, (l) => logs.push(l)), fs, replies, notices, logs };
}

let unique = 100n;
/** A request: fuse_in_header then `body`. */
function request(opcode: number, nodeid: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(Size.inHeader + body.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(opcode, 4);
  b.writeBigUInt64LE((unique += 2n), 8);
  b.writeBigUInt64LE(BigInt(nodeid), 16);
  body.copy(b, Size.inHeader);
  return b;
}

function initBody(minor: number, flags: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(7, 0);
  b.writeUInt32LE(minor, 4);
  b.writeUInt32LE(131072, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  return b;
}

function readIn(offset: number, size: number, fh = 0): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(BigInt(fh), 0);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.writeUInt32LE(size, 16);
  return b;
}

/** The out header of a reply, and its payload. */
function parse(reply: Buffer | undefined): { len: number; error: number; unique: bigint; body: Buffer } {
  if (!reply) throw new Error('no reply');
  return {
    len: reply.readUInt32LE(0),
    error: reply.readInt32LE(4),
    unique: reply.readBigUInt64LE(8),
    body: reply.subarray(Size.outHeader),
  };
}

function checkAttr(t: Test, body: Buffer, at: number, ino: number): void {
  t.equal(body.readBigUInt64LE(at), BigInt(ino), 'ino');
  t.equal(body.readBigUInt64LE(at + 8), 12n, 'size');
  t.equal(body.readBigUInt64LE(at + 16), 8n, 'blocks');
  t.equal(body.readBigInt64LE(at + 24), 1_700_000_001n, 'atime seconds');
  t.equal(body.readUInt32LE(at + 48), 2, 'atime nanoseconds');
  t.equal(body.readBigInt64LE(at + 32), -1n, 'mtime before 1970: seconds floored');
  t.equal(body.readUInt32LE(at + 52), 999_999_999, 'mtime nanoseconds');
  t.equal(body.readUInt32LE(at + 60), 0o100644, 'mode');
  t.equal(body.readUInt32LE(at + 68), 1000, 'uid');
  t.equal(body.readUInt32LE(at + 72), 1001, 'gid');
  t.equal(body.readUInt32LE(at + 80), 4096, 'blksize');
}

t.test('INIT negotiates the protocol, features and limits', async (t) => {
  const h = harness();
  const req = request(Op.INIT, 0, initBody(44, 0xffffffff));
  h.session.handle(req);
  const r = parse(h.replies[0]);
  t.equal(r.error, 0);
  t.equal(r.len, Size.outHeader + Size.initOut);
  t.equal(r.unique, req.readBigUInt64LE(8), 'the reply carries the request id');
  t.equal(r.body.readUInt32LE(0), 7);
  t.equal(r.body.readUInt32LE(4), 38, 'the lower of the two minors');
  t.equal(r.body.readUInt32LE(8), 131072, 'readahead as the kernel offered');
  const flags = r.body.readUInt32LE(12);
  for (const f of [Init.ASYNC_READ, Init.DO_READDIRPLUS, Init.READDIRPLUS_AUTO, Init.PARALLEL_DIROPS, Init.MAX_PAGES, Init.CACHE_SYMLINKS])
    t.ok(flags & f, `flag ${f}`);
  t.notOk(flags & Init.NO_OPEN_SUPPORT, 'only flags the server wants');
  t.equal(r.body.readUInt32LE(24), 1, 'nanosecond times');
  t.equal(r.body.readUInt16LE(28), 256, '1 MiB requests');
  h.session.handle(request(Op.OPEN, 2, Buffer.alloc(8)));
  t.equal(parse(h.replies[1]).error, Errno.ENOSYS, 'zero-message opens when the kernel supports them');

  const old = harness();
  old.session.handle(request(Op.INIT, 0, initBody(22, 0)));
  t.equal(parse(old.replies[0]).error, Errno.EPROTO, 'a kernel older than 7.23 is refused');
  t.match(old.logs[0], /7\.22.*7\.23/);
  const noOpen = harness();
  noOpen.session.handle(request(Op.INIT, 0, initBody(31, 0)));
  noOpen.session.handle(request(Op.OPEN, 2, Buffer.alloc(8)));
  const open = parse(noOpen.replies[1]);
  t.equal(open.error, 0, 'an open is answered where the kernel needs it');
  t.equal(open.body.readUInt32LE(8), 2, 'FOPEN_KEEP_CACHE');
});

t.test('LOOKUP and GETATTR encode entries and attributes', async (t) => {
  const h = harness();
  h.session.handle(request(Op.LOOKUP, 5, Buffer.from('f\0')));
  const r = parse(h.replies[0]);
  t.equal(r.len, Size.outHeader + Size.entryOut);
  t.equal(r.body.readBigUInt64LE(0), 6n, 'nodeid');
  t.equal(r.body.readBigUInt64LE(16), 3600n, 'entry timeout');
  t.equal(r.body.readBigUInt64LE(24), 60n, 'attr timeout');
  checkAttr(t, r.body, 40, 6);
  h.session.handle(request(Op.LOOKUP, 5, Buffer.from('nope\0')));
  t.equal(parse(h.replies[1]).error, Errno.ENOENT);
  h.session.handle(request(Op.GETATTR, 9, Buffer.alloc(16)));
  const a = parse(h.replies[2]);
  t.equal(a.body.readBigUInt64LE(0), 5n, 'attr timeout');
  checkAttr(t, a.body, 16, 9);
});

t.test('asynchronous answers come later; a failed one is EIO and one log line', async (t) => {
  const h = harness();
  h.session.handle(request(Op.LOOKUP, 1, Buffer.from('slow\0')));
  h.session.handle(request(Op.LOOKUP, 1, Buffer.from('broken\0')));
  t.equal(h.replies.length, 0);
  await new Promise((r) => setImmediate(r));
  t.equal(h.replies.length, 2);
  t.equal(parse(h.replies[0]).body.readBigUInt64LE(0), 7n);
  t.equal(parse(h.replies[1]).error, Errno.EIO);
  t.match(h.logs.join('\n'), /source down/);
});

t.test('READ replies with the pieces as they are; READLINK with raw bytes', async (t) => {
  const h = harness();
  h.session.handle(request(Op.READ, 3, readIn(1, 3)));
  const r = parse(h.replies[0]);
  t.equal(r.body.toString(), 'ell!');
  t.equal(r.len, Size.outHeader + 4);
  h.session.handle(request(Op.READ, 3, readIn(9, 100)));
  t.equal(parse(h.replies[1]).len, Size.outHeader, 'nothing past the end');
  h.session.handle(request(Op.READLINK, 3));
  t.same(parse(h.replies[2]).body, Buffer.from([0x61, 0xff]));
});

t.test('READDIR and READDIRPLUS pack entries that fit and continue from the offset given', async (t) => {
  const h = harness();
  const sentAfter: number[] = [];
  h.fs.onListingSent = () => sentAfter.push(h.replies.length);
  h.session.handle(request(Op.READDIR, 2, readIn(0, 4096)));
  t.same(sentAfter, [1], 'the listing is told once its reply is written');
  const all = parse(h.replies[0]).body;
  const names: string[] = [];
  for (let at = 0; at < all.length;) {
    const len = all.readUInt32LE(at + 16);
    names.push(all.toString('utf8', at + 24, at + 24 + len));
    t.equal(all.readUInt32LE(at + 20), 4, 'DT_DIR');
    at += (24 + len + 7) & ~7;
  }
  t.same(names, ['.', '..', 'a', 'bb', 'ccc']);
  h.session.handle(request(Op.READDIRPLUS, 2, readIn(2, 2 * Size.direntplus + 16)));
  const plus = parse(h.replies[1]).body;
  t.equal(plus.length, 2 * (Size.direntplus + 8), 'two entries fit');
  t.equal(plus.readBigUInt64LE(0), 102n, 'entry nodeid');
  t.equal(plus.readBigUInt64LE(Size.entryOut + 8), 3n, 'next offset');
  t.equal(plus.toString('utf8', Size.direntplus, Size.direntplus + 1), 'a');
  h.session.handle(request(Op.OPENDIR, 4, Buffer.alloc(8)));
  const od = parse(h.replies[2]).body;
  t.equal(od.readBigUInt64LE(0), 40n, 'the directory handle');
  t.equal(od.readUInt32LE(8), (1 << 3) | (1 << 1), 'cached listing');
  const fh = Buffer.alloc(24);
  fh.writeBigUInt64LE(40n, 0);
  h.session.handle(request(Op.RELEASEDIR, 4, fh));
  t.same(h.fs.released, [40]);
});

t.test('extended attributes: size queries, ERANGE, values, lists; ENOSYS without any', async (t) => {
  const h = harness();
  const getx = (size: number, name: string): Buffer => {
    const b = Buffer.alloc(8 + name.length + 1);
    b.writeUInt32LE(size, 0);
    b.write(name, 8);
    return b;
  };
  h.session.handle(request(Op.GETXATTR, 2, getx(0, 'user.a')));
  t.equal(parse(h.replies[0]).body.readUInt32LE(0), 5, 'size only');
  h.session.handle(request(Op.GETXATTR, 2, getx(2, 'user.a')));
  t.equal(parse(h.replies[1]).error, Errno.ERANGE);
  h.session.handle(request(Op.GETXATTR, 2, getx(64, 'user.a')));
  t.equal(parse(h.replies[2]).body.toString(), 'value');
  h.session.handle(request(Op.GETXATTR, 2, getx(64, 'user.zz')));
  t.equal(parse(h.replies[3]).error, Errno.ENODATA);
  h.session.handle(request(Op.LISTXATTR, 2, getx(64, '')));
  t.equal(parse(h.replies[4]).body.toString(), 'user.a\0user.b\0');
  h.fs.xattrs = false;
  h.session.handle(request(Op.GETXATTR, 2, getx(64, 'user.a')));
  h.session.handle(request(Op.LISTXATTR, 2, getx(0, '')));
  t.equal(parse(h.replies[5]).error, Errno.ENOSYS);
  t.equal(parse(h.replies[6]).error, Errno.ENOSYS);
});

t.test('changes are EROFS, the rest the server does not do is ENOSYS, forgets and interrupts get no reply', async (t) => {
  const h = harness();
  for (const op of [Op.SETATTR, Op.MKDIR, Op.UNLINK, Op.RENAME, Op.WRITE, Op.CREATE, Op.SETXATTR, Op.REMOVEXATTR, Op.SYMLINK, Op.LINK]) {
    h.session.handle(request(op, 2, Buffer.alloc(64)));
  }
  t.ok(h.replies.every((r) => parse(r).error === Errno.EROFS));
  const n = h.replies.length;
  for (const op of [Op.FLUSH, Op.ACCESS, 46, 40, 999]) h.session.handle(request(op, 2, Buffer.alloc(32)));
  t.ok(h.replies.slice(n).every((r) => parse(r).error === Errno.ENOSYS));
  const m = h.replies.length;
  const forget = Buffer.alloc(8);
  forget.writeBigUInt64LE(3n);
  h.session.handle(request(Op.FORGET, 12, forget));
  const batch = Buffer.alloc(8 + 32);
  batch.writeUInt32LE(2, 0);
  batch.writeBigUInt64LE(20n, 8);
  batch.writeBigUInt64LE(1n, 16);
  batch.writeBigUInt64LE(21n, 24);
  batch.writeBigUInt64LE(4n, 32);
  h.session.handle(request(Op.BATCH_FORGET, 0, batch));
  h.session.handle(request(Op.INTERRUPT, 0, Buffer.alloc(8)));
  t.equal(h.replies.length, m, 'no replies');
  t.same(h.fs.forgotten, [
    [12, 3],
    [20, 1],
    [21, 4],
  ]);
  h.session.handle(request(Op.STATFS, 1));
  const st = parse(h.replies[m]).body;
  t.equal(st.readUInt32LE(40), 4096, 'block size');
  t.equal(st.readUInt32LE(44), 255, 'name length');
});

t.test('a malformed request is logged and dropped; store is an unsolicited NOTIFY_STORE', async (t) => {
  const h = harness();
  h.session.handle(Buffer.alloc(10));
  t.equal(h.replies.length, 0);
  t.match(h.logs[0], /malformed/);
  h.session.store(77, 4096, Buffer.from('data'));
  const n = parse(h.notices[0]);
  t.equal(n.error, 4, 'FUSE_NOTIFY_STORE');
  t.equal(n.unique, 0n);
  t.equal(n.len, Size.outHeader + Size.notifyStoreOut + 4);
  t.equal(n.body.readBigUInt64LE(0), 77n);
  t.equal(n.body.readBigUInt64LE(8), 4096n);
  t.equal(n.body.readUInt32LE(16), 4);
  t.equal(n.body.toString('utf8', Size.notifyStoreOut), 'data');
});
