/** Compares two directory trees entry by entry: type, mode, owner, size, ns mtime, rdev, link targets, xattrs, hardlinks, content. */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { native } from '../../src/snapshot/fs/native.js';

const join = (a: Buffer, b: Buffer): Buffer => Buffer.concat([a, Buffer.from('/'), b]);

function xattrsOf(path: Buffer): string {
  const names = native().llistxattr(path).toString('latin1').split('\0').filter(Boolean).sort();
  return names.map((n) => `${n}=${native().lgetxattr(path, n)?.toString('hex')}`).join(';');
}

async function describe(path: Buffer, rel: string, inodes: Map<bigint, string>): Promise<string> {
  const st = await lstat(path, { bigint: true });
  const fields = [rel, st.mode.toString(8), st.uid, st.gid, st.nlink, st.rdev];
  if (!st.isDirectory()) fields.push(st.mtimeNs);
  if (st.isFile()) {
    fields.push(st.size, (await readFile(path)).toString('base64').slice(0, 64));
    if (st.nlink > 1n) {
      const first = inodes.get(st.ino);
      if (first === undefined) inodes.set(st.ino, rel);
      fields.push(`link:${first ?? rel}`);
    }
  }
  if (st.isSymbolicLink()) fields.push((await readlink(path, { encoding: 'buffer' })).toString('hex'));
  if (!st.isSymbolicLink()) fields.push(xattrsOf(path));
  return fields.join('|');
}

/** Lines describing every entry below `root` (directory mtimes included separately). */
export async function treeListing(root: string): Promise<string[]> {
  const out: string[] = [];
  const inodes = new Map<bigint, string>();
  const visit = async (dir: Buffer, rel: string): Promise<void> => {
    const names = (await readdir(dir, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
    for (const name of names) {
      const path = join(dir, name);
      const r = `${rel}/${name.toString('hex')}`;
      out.push(await describe(path, r, inodes));
      const st = await lstat(path, { bigint: true });
      if (st.isDirectory()) {
        await visit(path, r);
        out.push(`${r}|dir-mtime|${st.mtimeNs}`);
      }
    }
  };
  await visit(Buffer.from(root), '');
  return out;
}
