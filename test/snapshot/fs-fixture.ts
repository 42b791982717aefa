/** Test fixture: a directory holding every kind of entry and attribute the snapshot layer must round-trip. */
import { execFile } from 'node:child_process';
import { chmod, lchown, link, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { native } from '../../src/snapshot/fs/native.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export const p = (dir: string, ...names: (string | Buffer)[]): Buffer =>
  Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from('/'), Buffer.from(n)])]);

export const NON_UTF8_NAME = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]);
export const NON_UTF8_TARGET = Buffer.from([0x6e, 0x6f, 0xff, 0x2f, 0x78, 0xc3]);
export const LONG_NAME = 'é'.repeat(127) + 'x';
export const DEEP = 100;
export const SPARSE_SIZE = 64 * MiB;

/** Fills `dir` (which must exist and be short enough for a unix socket path). */
export async function buildFixture(dir: string): Promise<void> {
  const n = native();
  await writeFile(p(dir, 'plain.txt'), 'hello\n');
  await writeFile(p(dir, 'empty'), '');
  await writeFile(p(dir, 'random.bin'), randomBytes(3 * MiB + 17));
  await writeFile(p(dir, NON_UTF8_NAME), 'not utf-8 name');
  await writeFile(p(dir, 'new\nline'), 'newline in name');
  await writeFile(p(dir, '\u00e9'), 'NFC');
  await writeFile(p(dir, 'e\u0301'), 'NFD');
  await writeFile(p(dir, 'x'.repeat(255)), '255 ascii bytes');
  await writeFile(p(dir, LONG_NAME), '255 utf-8 bytes');
  await deepChain(dir);
  await specialBits(dir);
  await sparse(p(dir, 'sparse.img'));
  await writeFile(p(dir, 'hl-a'), 'three names, one inode');
  await mkdir(p(dir, 'sub'));
  await link(p(dir, 'hl-a'), p(dir, 'sub', 'hl-b'));
  await link(p(dir, 'hl-a'), p(dir, 'hl-c'));
  await symlink('plain.txt', p(dir, 'link-rel'));
  await symlink(NON_UTF8_TARGET, p(dir, 'link-dangling'));
  await lchown(p(dir, 'link-dangling'), 1234, 5678);
  n.mkfifo(p(dir, 'fifo'), 0o640);
  n.mknod(p(dir, 'null'), 0o020000 | 0o666, makedev(1, 3));
  n.mknod(p(dir, 'loop200'), 0o060000 | 0o660, makedev(7, 200));
  await run('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', `${dir}/sock`]);
  await xattrs(dir);
  await times(dir);
}

/** glibc's encoding of a device number. */
export function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

async function deepChain(dir: string): Promise<void> {
  let path = p(dir, 'deep');
  await mkdir(path);
  for (let i = 0; i < DEEP - 1; i++) {
    path = p(path.toString('latin1'), `d${i}`);
    await mkdir(path);
  }
  await writeFile(p(path.toString('latin1'), 'bottom'), 'deep down');
}

async function specialBits(dir: string): Promise<void> {
  await writeFile(p(dir, 'setuid'), '#!/bin/sh\n');
  await lchown(p(dir, 'setuid'), 1234, 5678);
  await chmod(p(dir, 'setuid'), 0o4755);
  await writeFile(p(dir, 'setgid'), 'x');
  await lchown(p(dir, 'setgid'), 0, 5678);
  await chmod(p(dir, 'setgid'), 0o2711);
  await mkdir(p(dir, 'sticky'));
  await chmod(p(dir, 'sticky'), 0o1777);
  await mkdir(p(dir, 'sgid-dir'));
  await lchown(p(dir, 'sgid-dir'), 1234, 5678);
  await chmod(p(dir, 'sgid-dir'), 0o2770);
  await writeFile(p(dir, 'sgid-dir', 'inside'), 'y');
  await writeFile(p(dir, 'noperm'), 'z');
  await chmod(p(dir, 'noperm'), 0o000);
  await lchown(p(dir, 'plain.txt'), 1234, 5678);
}

async function sparse(path: Buffer): Promise<void> {
  const fh = await open(path, 'w');
  await fh.truncate(SPARSE_SIZE);
  await fh.write(randomBytes(MiB), 0, MiB, 8 * MiB);
  await fh.write(randomBytes(MiB), 0, MiB, 40 * MiB);
  await fh.close();
}

async function xattrs(dir: string): Promise<void> {
  const n = native();
  n.lsetxattr(p(dir, 'plain.txt'), 'user.comment', Buffer.from('a comment'));
  n.lsetxattr(p(dir, 'plain.txt'), 'user.binary', Buffer.from([0, 1, 2, 0, 255]));
  n.lsetxattr(p(dir, 'plain.txt'), 'user.empty', Buffer.alloc(0));
  n.lsetxattr(p(dir, 'plain.txt'), 'trusted.secret', Buffer.from('root only'));
  n.lsetxattr(p(dir, 'sub'), 'user.dir', Buffer.from('on a directory'));
  n.lsetxattr(p(dir, 'link-rel'), 'trusted.onlink', Buffer.from('on a symlink'));
  n.lsetxattr(p(dir, NON_UTF8_NAME), 'user.x', randomBytes(3000));
}

/** Distinct ns times everywhere, directories last and bottom-up so nothing disturbs them. */
async function times(dir: string): Promise<void> {
  const n = native();
  n.utimensat(p(dir, 'plain.txt'), 1_000_000_000, 1, 1_234_567_890, 123_456_789, true);
  n.utimensat(p(dir, 'empty'), -1000, 5, -86_400 * 365, 999_999_999, true);
  n.utimensat(p(dir, 'random.bin'), 2_000_000_000, 0, 4_000_000_000, 42, true);
  n.utimensat(p(dir, 'link-rel'), 1_500_000_000, 7, 1_500_000_001, 8, true);
  n.utimensat(p(dir, 'link-dangling'), 1_500_000_002, 9, 1_500_000_003, 10, true);
  n.utimensat(p(dir, 'fifo'), 1_600_000_000, 11, 1_600_000_001, 12, true);
  n.utimensat(p(dir, 'sub'), 1_700_000_000, 13, 1_700_000_001, 14, true);
  n.utimensat(p(dir, 'deep'), 1_100_000_000, 15, 1_100_000_001, 16, true);
  n.utimensat(p(dir), 1_300_000_000, 17, 1_300_000_001, 18, true);
}
