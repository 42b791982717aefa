/** The /dev/fuse connection of one mount, through the addon (src/native/fuse_dev.c). */
import { close } from 'node:fs';
import { addon } from '../../core/addon.js';
import { childEnv } from '../../core/child-env.js';
import type { ReplySink } from './session.js';

interface FuseNative {
  /**
   * Opens /dev/fuse and mounts it read-only at `mountpoint` (mount(2) as root, else fusermount, run with
   * `env`: NUL-ended "NAME=value" entries); the fd.
   */
  fuseMount(mountpoint: Buffer, options: string, env: Buffer): Promise<number>;
  /** Starts the reader thread: batches of requests, then `null` with the errno that ended the connection. */
  fuseServe(fd: number, onRequests: (batch: Buffer[] | null, errno?: number) => void): ServerHandle;
  /** Writes one reply; 0, or the errno of the write. */
  fuseReply(fd: number, parts: readonly Uint8Array[]): number;
  /** Queues an unsolicited message for the server's notifier thread (a copy); false when dropped. */
  fuseNotify(server: ServerHandle, parts: readonly Uint8Array[]): boolean;
}

/** Kernel mount options beyond the fixed ones (ro, nosuid, nodev, fd, rootmode, user_id, group_id). */
export interface ChannelOptions {
  readonly allowOther: boolean;
}

/** The addon's server of one connection; invalid once the connection has ended. */
type ServerHandle = object & { readonly __server: unique symbol };

const ENOENT = 2;
const ENODEV = 19;

export class Channel implements ReplySink {
  /** Resolves once the kernel has ended the connection (unmounted or aborted) and the fd is closed. */
  readonly closed: Promise<void>;
  private markClosed: () => void = () => undefined;
  private failedWrites = 0;
  private server: ServerHandle | undefined;
  /** The kernel ended the connection: the fd is closed (or about to be) and may be reused by another file. */
  private ended = false;

  private constructor(
    private readonly native: FuseNative,
    private readonly fd: number,
    private readonly log: (line: string) => void,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  /** Mounts `mountpoint`; nothing is read from the kernel until `serve`. */
  static async open(
    mountpoint: string,
    opts: ChannelOptions,
    log: (line: string) => void,
    native = addon() as FuseNative,
  ): Promise<Channel> {
    const options = ['default_permissions', ...(opts.allowOther ? ['allow_other'] : [])].join(',');
    const env = Buffer.from(
      Object.entries(childEnv())
        .map(([name, value]) => `${name}=${value ?? ''}\0`)
        .join(''),
    );
    const fd = await native.fuseMount(Buffer.from(mountpoint), options, env);
    return new Channel(native, fd, log);
  }

  /** Hands every request to `handle`, on this thread, until the connection ends. */
  serve(handle: (req: Buffer) => void): void {
    this.server = this.native.fuseServe(this.fd, (batch, errno) => {
      if (batch === null) {
        this.server = undefined;
        this.ended = true;
        if (errno !== ENODEV) this.log(`rozen mount: the FUSE connection ended (errno ${errno ?? 0})`);
        close(this.fd, () => this.markClosed());
        return;
      }
      for (const req of batch) handle(req);
    });
  }

  /** Sends an unsolicited message (NOTIFY_*) without waiting for the kernel to take it. */
  notify(parts: readonly Uint8Array[]): void {
    if (this.server !== undefined) this.native.fuseNotify(this.server, parts);
  }

  /** Writes a reply; dropped once the connection has ended, so a late answer never reaches a reused fd. */
  reply(parts: readonly Uint8Array[]): void {
    if (this.ended) return;
    const errno = this.native.fuseReply(this.fd, parts);
    // ENOENT: the request was interrupted and is gone; ENODEV: the mount is gone. Neither is news.
    if (errno !== 0 && errno !== ENOENT && errno !== ENODEV && this.failedWrites++ === 0) {
      this.log(`rozen mount: writing a reply to the kernel failed (errno ${errno})`);
    }
  }
}
