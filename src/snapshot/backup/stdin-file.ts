/** `backup --stdin`: one file, read from a stream to its end, the only entry of the snapshot's root. */
import { userInfo } from 'node:os';
import { extensionOf } from '../../codec/extension.js';
import { RozenError } from '../../core/errors.js';
import type { Mutable } from '../../core/types.js';
import { systemAccounts } from '../fs/accounts.js';
import { StreamReader } from '../fs/stream-reader.js';
import type { Node } from '../node.js';
import type { Content, FileSaver } from './file-saver.js';
import type { BackupCounters } from './progress.js';

export interface StdinInput {
  /** The file's name in the snapshot (one path component). */
  readonly name: string;
  readonly stream: AsyncIterable<Uint8Array>;
}

/** The name checked as one path component: the snapshot records the file as `/name`. */
export function stdinName(name: string): Buffer {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new RozenError('InvalidArgument', `--stdin-filename ${JSON.stringify(name)}: give a file name without "/"`);
  }
  return Buffer.from(name, 'utf8');
}

/**
 * Reads the stream to its end through the large-file path (bounded memory: the chunker's read ring).
 * `old` is the parent snapshot's file of that name: then its chunks are hashed before being sealed.
 * The read stops with an Interrupted error on `signal`; an error of the stream is thrown as it is.
 */
export async function saveStdin(
  input: StdinInput,
  deps: { files: FileSaver; counters: BackupCounters; old: Node | undefined; stopped: () => boolean; signal?: AbortSignal },
  time: Date,
): Promise<Node> {
  const name = stdinName(input.name);
  const content = await deps.files.saveStream(
    extensionOf(name),
    new StreamReader(input.stream, deps.signal),
    deps.old === undefined,
    deps.stopped,
  );
  deps.counters.bytesTotal += content.size;
  if (deps.old) deps.counters.filesChanged++;
  else deps.counters.filesNew++;
  return stdinNode(name, content, time);
}

/** A regular file, mode 0644, owned by the user running the backup, with every time `time`. */
async function stdinNode(name: Buffer, c: Content, time: Date): Promise<Node> {
  const ns = BigInt(time.getTime()) * 1_000_000n;
  const { uid, gid } = userInfo();
  const accounts = await systemAccounts();
  const node: Mutable<Node> = {
    name,
    type: 'file',
    mode: 0o644,
    uid,
    gid,
    mtimeNs: ns,
    atimeNs: ns,
    ctimeNs: ns,
    size: c.size,
    allocated: c.size,
    device: 0,
    inode: 0,
    links: 1,
  };
  const user = accounts.userName(uid);
  const group = accounts.groupName(gid);
  if (user !== undefined) node.user = user;
  if (group !== undefined) node.group = group;
  return { ...node, content: c.content, sizes: c.sizes };
}
