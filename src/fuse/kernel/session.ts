/**
 * One FUSE connection: decodes each kernel request, asks a read-only filesystem for the answer and
 * writes the reply. Requests are answered as their answers become ready, in any order, so a slow
 * read never holds up a listing; the reader thread behind the channel never waits for JS.
 */
import { Errno } from '../errno.js';
import {
  CHANGE_OPS,
  FOPEN_CACHE_DIR,
  FOPEN_KEEP_CACHE,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_MIN_MINOR_VERSION,
  Init,
  Op,
  Size,
} from './abi.js';
import {
  DirentWriter,
  notifyStoreHead,
  readHeader,
  readName,
  readU64,
  replyBuffer,
  writeAttrOut,
  writeEntry,
  writeOpenOut,
  writeOutHeader,
  type Attr,
  type EntryReply,
  type RequestHeader,
} from './wire.js';

/** A value, or a negative errno. */
export type Result<T> = T | number;
export type MaybeAsync<T> = Result<T> | Promise<Result<T>>;

/** The filesystem a session serves, by node id (1 is the root). Defined here, by its consumer. */
export interface KernelFs {
  /** Finds `name` in directory `parent`; a found entry counts as one kernel reference to its node. */
  lookup(parent: number, name: Buffer): MaybeAsync<EntryReply>;
  /** The kernel dropped `count` references to `ino`. */
  forget(ino: number, count: number): void;
  getattr(ino: number): MaybeAsync<{ readonly attr: Attr; readonly seconds: number }>;
  readlink(ino: number): MaybeAsync<Uint8Array>;
  /** A handle for listing `ino`; `cache` lets the kernel keep the listing (it never changes). */
  opendir(ino: number): MaybeAsync<{ readonly fh: number; readonly cache: boolean }>;
  releasedir(fh: number): void;
  /** Fills `out` from entry `offset` on; with `out.plus` every entry written with a node counts as a reference. */
  readdir(ino: number, fh: number, offset: number, out: DirentWriter): MaybeAsync<DirentWriter>;
  /** Up to `size` bytes at `offset`, as consecutive pieces (none at the end of the file). */
  read(ino: number, offset: number, size: number): MaybeAsync<readonly Uint8Array[]>;
  /** False: the kernel is told once (ENOSYS) that there are no extended attributes, and stops asking. */
  readonly xattrs: boolean;
  getxattr(ino: number, name: string): MaybeAsync<Uint8Array>;
  /** Attribute names, each followed by a NUL byte. */
  listxattr(ino: number): MaybeAsync<Uint8Array>;
}

/** Where replies go: one call writes one whole reply, at once; `notify` queues an unsolicited message. */
export interface ReplySink {
  reply(parts: readonly Uint8Array[]): void;
  notify(parts: readonly Uint8Array[]): void;
}

const MAX_PAGES = 256;
const MAX_WRITE = 4096;
const MAX_REPLY_PARTS = 15;
/**
 * READDIRPLUS_AUTO: the kernel asks for attributes with a listing only where they are wanted (the first
 * part of a listing, and directories whose entries are being looked up, as `ls -l` does); a walk that
 * only lists (`find`) gets plain, five-times-denser READDIR and creates no node per file.
 */
const WANTED_FLAGS =
  Init.ASYNC_READ | Init.DO_READDIRPLUS | Init.READDIRPLUS_AUTO | Init.PARALLEL_DIROPS | Init.MAX_PAGES | Init.CACHE_SYMLINKS;

export class FuseSession {
  /** The kernel opens files without asking (no OPEN/RELEASE round trips), keeping their cached pages. */
  private noOpen = false;

  constructor(
    private readonly sink: ReplySink,
    private readonly fs: KernelFs,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Puts a file's bytes into the kernel's page cache before anyone asks (NOTIFY_STORE), so reading it
   * costs no round trip. The kernel ignores it for a node it does not hold. It is written from another
   * thread: a store into a page locked by a pending READ waits for that READ's reply.
   */
  store(ino: number, offset: number, data: Uint8Array): void {
    this.sink.notify([notifyStoreHead(ino, offset, data.length), data]);
  }

  handle(req: Buffer): void {
    let h: RequestHeader;
    try {
      h = readHeader(req);
    } catch (err) {
      this.log(`rozen mount: ignoring a malformed request: ${String(err)}`);
      return;
    }
    try {
      this.dispatch(h, req);
    } catch (err) {
      this.log(`rozen mount: request ${h.opcode} failed: ${err instanceof Error ? err.message : String(err)}`);
      this.error(h, Errno.EIO);
    }
  }

  /** Requests about the filesystem's nodes; the others the session answers itself. */
  private dispatch(h: RequestHeader, req: Buffer): void {
    const fs = this.fs;
    const ino = h.nodeid;
    switch (h.opcode) {
      case Op.LOOKUP:
        return this.answer(h, fs.lookup(ino, readName(req, Size.inHeader)), (e) => this.entry(h, e));
      case Op.FORGET:
        return fs.forget(ino, readU64(req, Size.inHeader));
      case Op.BATCH_FORGET:
        return this.batchForget(req);
      case Op.GETATTR:
        return this.answer(h, fs.getattr(ino), (a) => this.attr(h, a.attr, a.seconds));
      case Op.READLINK:
        return this.answer(h, fs.readlink(ino), (target) => this.data(h, [target]));
      case Op.OPENDIR:
        return this.answer(h, fs.opendir(ino), (d) => this.open(h, d.fh, d.cache ? FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE : 0));
      case Op.RELEASEDIR:
        fs.releasedir(readU64(req, Size.inHeader));
        return this.error(h, 0);
      case Op.READDIR:
      case Op.READDIRPLUS: {
        const { fh, offset, size } = readIn(req);
        const out = new DirentWriter(size, h.opcode === Op.READDIRPLUS);
        return this.answer(h, fs.readdir(ino, fh, offset, out), (w) => {
          this.data(h, [w.buf.subarray(0, w.used)]);
          w.onSent?.();
        });
      }
      case Op.READ: {
        const { offset, size } = readIn(req);
        return this.answer(h, fs.read(ino, offset, size), (parts) => this.data(h, parts));
      }
      case Op.GETXATTR:
      case Op.LISTXATTR:
        return this.xattr(h, req);
      default:
        return this.answerItself(h, req);
    }
  }

  /** Requests about the connection, and those a read-only filesystem refuses. */
  private answerItself(h: RequestHeader, req: Buffer): void {
    switch (h.opcode) {
      case Op.INIT:
        return this.init(h, req);
      case Op.OPEN:
        if (this.noOpen) return this.error(h, Errno.ENOSYS);
        return this.open(h, 0, FOPEN_KEEP_CACHE);
      case Op.RELEASE:
        return this.error(h, 0);
      case Op.STATFS:
        return this.statfs(h);
      case Op.INTERRUPT:
        return; // every request is answered anyway, soon
      case Op.DESTROY:
        return this.error(h, 0);
      default:
        // FLUSH, ACCESS, LSEEK, POLL, IOCTL, locks...: ENOSYS tells the kernel to stop asking or to do it itself.
        return this.error(h, CHANGE_OPS.has(h.opcode) ? Errno.EROFS : Errno.ENOSYS);
    }
  }

  /** GETXATTR and LISTXATTR; a filesystem without extended attributes answers ENOSYS. */
  private xattr(h: RequestHeader, req: Buffer): void {
    if (!this.fs.xattrs) return this.error(h, Errno.ENOSYS);
    const value =
      h.opcode === Op.GETXATTR
        ? this.fs.getxattr(h.nodeid, readName(req, Size.inHeader + 8).toString('utf8'))
        : this.fs.listxattr(h.nodeid);
    return this.answer(h, value, (v) => this.sized(h, req.readUInt32LE(Size.inHeader), v));
  }

  private init(h: RequestHeader, req: Buffer): void {
    const major = req.readUInt32LE(Size.inHeader);
    const minor = req.readUInt32LE(Size.inHeader + 4);
    const maxReadahead = req.readUInt32LE(Size.inHeader + 8);
    const flags = req.readUInt32LE(Size.inHeader + 12);
    if (major !== FUSE_KERNEL_VERSION || minor < FUSE_MIN_MINOR_VERSION) {
      this.log(`rozen mount: the kernel speaks FUSE ${major}.${minor}; at least 7.${FUSE_MIN_MINOR_VERSION} is needed`);
      return this.error(h, Errno.EPROTO);
    }
    this.noOpen = (flags & Init.NO_OPEN_SUPPORT) !== 0;
    const out = replyBuffer(h.unique, 0, Size.initOut);
    out.fill(0, Size.outHeader);
    const at = Size.outHeader;
    out.writeUInt32LE(FUSE_KERNEL_VERSION, at);
    out.writeUInt32LE(Math.min(minor, FUSE_KERNEL_MINOR_VERSION), at + 4);
    out.writeUInt32LE(maxReadahead, at + 8);
    out.writeUInt32LE((flags & WANTED_FLAGS) >>> 0, at + 12);
    out.writeUInt16LE(16, at + 16); // max_background
    out.writeUInt16LE(12, at + 18); // congestion_threshold
    out.writeUInt32LE(MAX_WRITE, at + 20);
    out.writeUInt32LE(1, at + 24); // time_gran: nanoseconds
    out.writeUInt16LE(MAX_PAGES, at + 28);
    this.send([out]);
  }

  private batchForget(req: Buffer): void {
    const count = req.readUInt32LE(Size.inHeader);
    for (let i = 0, at = Size.inHeader + 8; i < count && at + 16 <= req.length; i++, at += 16) {
      this.fs.forget(readU64(req, at), readU64(req, at + 8));
    }
  }

  private attr(h: RequestHeader, attr: Attr, seconds: number): void {
    const out = replyBuffer(h.unique, 0, Size.attrOut);
    writeAttrOut(out, Size.outHeader, attr, seconds);
    this.send([out]);
  }

  private entry(h: RequestHeader, e: EntryReply): void {
    const out = replyBuffer(h.unique, 0, Size.entryOut);
    writeEntry(out, Size.outHeader, e);
    this.send([out]);
  }

  private open(h: RequestHeader, fh: number, flags: number): void {
    const out = replyBuffer(h.unique, 0, Size.openOut);
    writeOpenOut(out, Size.outHeader, fh, flags);
    this.send([out]);
  }

  private statfs(h: RequestHeader): void {
    const out = replyBuffer(h.unique, 0, Size.statfsOut);
    out.fill(0, Size.outHeader);
    out.writeUInt32LE(4096, Size.outHeader + 40); // bsize
    out.writeUInt32LE(255, Size.outHeader + 44); // namelen
    out.writeUInt32LE(4096, Size.outHeader + 48); // frsize
    this.send([out]);
  }

  /** GETXATTR/LISTXATTR: the size alone when asked with size 0, ERANGE when the caller's buffer is too small. */
  private sized(h: RequestHeader, size: number, value: Uint8Array): void {
    if (size === 0) {
      const out = replyBuffer(h.unique, 0, Size.getxattrOut);
      out.writeUInt32LE(value.length, Size.outHeader);
      out.writeUInt32LE(0, Size.outHeader + 4);
      return this.send([out]);
    }
    if (value.length > size) return this.error(h, Errno.ERANGE);
    this.data(h, [value]);
  }

  /** A reply whose payload is `parts`, joined by the kernel write (writev). */
  private data(h: RequestHeader, parts: readonly Uint8Array[]): void {
    let len = Size.outHeader;
    for (const p of parts) len += p.length;
    const head = Buffer.allocUnsafe(Size.outHeader);
    writeOutHeader(head, len, 0, h.unique);
    if (parts.length <= MAX_REPLY_PARTS) return this.send([head, ...parts]);
    this.send([head, Buffer.concat(parts)]);
  }

  private error(h: RequestHeader, errno: number): void {
    this.send([replyBuffer(h.unique, errno, 0)]);
  }

  private answer<T>(h: RequestHeader, r: MaybeAsync<T>, ok: (value: T) => void): void {
    const settle = (v: Result<T>): void => (typeof v === 'number' ? this.error(h, v) : ok(v));
    if (!(r instanceof Promise)) return settle(r);
    r.then(settle).catch((err: unknown) => {
      this.log(`rozen mount: request ${h.opcode} failed: ${err instanceof Error ? err.message : String(err)}`);
      this.error(h, Errno.EIO);
    });
  }

  private send(parts: readonly Uint8Array[]): void {
    this.sink.reply(parts);
  }
}

/** struct fuse_read_in (READ, READDIR, READDIRPLUS). */
function readIn(req: Buffer): { fh: number; offset: number; size: number } {
  return { fh: readU64(req, Size.inHeader), offset: readU64(req, Size.inHeader + 8), size: req.readUInt32LE(Size.inHeader + 16) };
}
