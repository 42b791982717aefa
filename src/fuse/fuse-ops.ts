/** The FUSE handlers: answers from memory where it can, EROFS for every change, EIO (logged) on source failures. */
import { Errno } from './errno.js';
import type { FileReader, ReadState } from './file-reader.js';
import { newReadState } from './file-reader.js';
import type { FsEntry } from './fs-entry.js';
import type { Node } from '../snapshot/node.js';
import type { ErrCb, FuseOps, FuseStat, ValueCb } from './fuse-native-types.js';
import { entryStat, linkTarget } from './node-attrs.js';
import type { PathResolver, Resolved } from './path-resolver.js';
import type { SnapshotCatalog } from './snapshot-catalog.js';

export interface OpsDeps {
  readonly resolver: PathResolver;
  readonly catalog: SnapshotCatalog;
  readonly reader: FileReader;
  readonly log: (line: string) => void;
  /**
   * Serve extended attributes. Without them getxattr/listxattr are left unimplemented, so the
   * kernel learns at the first call that this mount has none and stops asking: `ls -l` then
   * costs no round trip per file for the security.* attributes it looks up.
   */
  readonly xattrs: boolean;
}

const CHANGE_OPS = [
  'write', 'create', 'mkdir', 'rmdir', 'rename', 'unlink', 'chmod', 'chown', 'truncate', 'ftruncate',
  'setxattr', 'removexattr', 'utimens', 'symlink', 'link', 'mknod',
] as const;

export function createFuseOps(deps: OpsDeps): FuseOps {
  /** Sequential-read detection per file (shared by concurrent readers of one file: it is only a hint). */
  const states = new WeakMap<Node, ReadState>();
  const { resolver, reader } = deps;
  const topMtime = (): number => deps.catalog.cached?.newestMs ?? 0;

  /**
   * Runs `work` on the resolved entry, synchronously when everything needed is in memory (the
   * common case, and per-file cost dominates); failures of the source become EIO and one log line.
   */
  function withEntry(path: string, what: string, fail: (errno: number) => void, work: (e: FsEntry) => Promise<void> | void): void {
    const onError = (err: unknown): void => {
      deps.log(`rozen mount: ${what} ${path} failed: ${errorText(err)}`);
      fail(Errno.EIO);
    };
    const apply = (e: Resolved): Promise<void> | void => (typeof e === 'number' ? fail(e) : work(e));
    const hit = resolver.resolveSync(path);
    if (hit === undefined) {
      resolver.resolve(path).then(apply).catch(onError);
      return;
    }
    try {
      apply(hit)?.catch(onError);
    } catch (err) {
      onError(err);
    }
  }

  const ops: FuseOps = {
    init: (cb: ErrCb) => cb(0),
    statfs: (_path, cb) => cb(0, { bsize: 4096, frsize: 4096, namemax: 1024 }),
    getattr(path, cb: ValueCb<FuseStat>) {
      withEntry(path, 'stat of', cb, (e) => cb(0, entryStat(e, topMtime())));
    },
    readdir(path, cb) {
      withEntry(path, 'listing of', cb, async (e) => {
        const children = await listChildren(resolver, e);
        if (typeof children === 'number') return cb(children);
        const self = entryStat(e, topMtime());
        const names = ['.', '..', ...children.map(([n]) => n)];
        cb(0, names, [self, self, ...children.map(([, c]) => entryStat(c, topMtime()))]);
      });
    },
    readlink(path, cb: ValueCb<string>) {
      withEntry(path, 'readlink of', cb, (e) => {
        if (e.kind === 'vlink') cb(0, e.target);
        else if (e.kind === 'node' && e.node.type === 'symlink') cb(0, linkTarget(e.node));
        else cb(Errno.EINVAL);
      });
    },
    // No open/release: libfuse then answers them itself, without the round trip to this thread
    // (two per file copied out). Writes never get here: the mount is read-only (`ro`), so the
    // kernel refuses them with EROFS; reads find their file by path, from memory.
    read(path, _fd, buf, len, pos, cb) {
      withEntry(path, 'read of', cb, (e) => {
        if (e.kind !== 'node' || e.node.type === 'dir') return cb(Errno.EISDIR);
        const node = e.node;
        let state = states.get(node);
        if (state === undefined) {
          state = newReadState();
          states.set(node, state);
        }
        // A file read from its start: the files after it in its directory are likely next (rsync, cp -r).
        if (pos === 0 && e.siblings && e.index !== undefined) reader.prefetchSiblings(e.siblings, e.index);
        return reader.read(node, state, buf, len, pos).then(cb, (err: unknown) => {
          deps.log(`rozen mount: read of ${path} at ${pos} failed: ${errorText(err)}`);
          cb(Errno.EIO);
        });
      });
    },
    getxattr(path, name, _position, cb: ValueCb<Buffer>) {
      withEntry(path, 'getxattr of', cb, (e) => {
        const found = e.kind === 'node' ? e.node.xattrs?.find(([n]) => n === name) : undefined;
        if (found) cb(0, found[1]);
        else cb(Errno.ENODATA);
      });
    },
    listxattr(path, cb: ValueCb<string[]>) {
      withEntry(path, 'listxattr of', cb, (e) => cb(0, e.kind === 'node' ? (e.node.xattrs ?? []).map(([n]) => n) : []));
    },
  };
  for (const name of CHANGE_OPS) ops[name] = readOnly;
  if (!deps.xattrs) {
    delete ops.getxattr;
    delete ops.listxattr;
  }
  return ops;
}

/** Every changing operation: the callback is the last argument. */
function readOnly(...args: unknown[]): void {
  const cb = args[args.length - 1];
  if (typeof cb === 'function') (cb as ErrCb)(Errno.EROFS);
}

async function listChildren(resolver: PathResolver, e: FsEntry): Promise<[string, FsEntry][] | number> {
  if (e.kind === 'vdir') return resolver.listVirtual(e);
  if (e.kind === 'vlink') return Errno.ENOTDIR;
  const listing = await resolver.listing(e);
  if (typeof listing === 'number') return listing;
  return listing.names.map((name, i) => [name, resolver.child(e, listing, i)]);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
