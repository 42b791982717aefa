/**
 * The long listing line of `ls -l` and `find`: mode, owner, size, mtime, path. The mode and time strings are
 * remembered: a search over many snapshots prints the same files again and again, and formatting a date was the
 * larger part of printing a line.
 */
import type { Node } from '../snapshot/node.js';

const TYPE_CHAR: Record<Node['type'], string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b', socket: 's' };
/** Distinct times remembered before the memory starts afresh. */
const TIMES_KEPT = 65_536;

const modes = new Map<string, string>();
let times = new Map<bigint, string>();

/** `-rwxr-xr-x` and the like, with setuid, setgid and sticky bits. */
export function modeString(n: Node): string {
  const key = `${n.type}${n.mode}`;
  let s = modes.get(key);
  if (s === undefined) modes.set(key, (s = formatMode(n)));
  return s;
}

function formatMode(n: Node): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((n.mode >> (8 - i)) & 1 ? c : '-'));
  if (n.mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (n.mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (n.mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return TYPE_CHAR[n.type] + bits.join('');
}

/** `YYYY-MM-DD hh:mm:ss` (UTC) of a time in nanoseconds, to the second. */
export function timeString(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const second = ms >= 0n ? ms / 1000n : (ms - 999n) / 1000n;
  let s = times.get(second);
  if (s === undefined) {
    if (times.size >= TIMES_KEPT) times = new Map();
    times.set(second, (s = new Date(Number(ms)).toISOString().slice(0, 19).replace('T', ' ')));
  }
  return s;
}

export function longLine(path: string, n: Node): string {
  const owner = `${n.user ?? n.uid}/${n.group ?? n.gid}`;
  const target = n.type === 'symlink' && n.linkTarget ? ` -> ${n.linkTarget.toString()}` : '';
  return `${modeString(n)} ${owner.padEnd(12)} ${String(n.size).padStart(12)} ${timeString(n.mtimeNs)} ${path}${target}`;
}
