/**
 * A backup reads files and lists directories without changing their access times (O_NOATIME):
 * the snapshot records atime, so a backup that changed it would make the next one see every
 * file and directory it read as changed metadata, and store every tree again.
 */
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { cliSandbox, rozen } from '../helpers/cli.js';

t.test('files and directories keep their atime, and the next backup sees nothing changed', async (t) => {
  const { dir, env } = await cliSandbox(t);
  // Outside the sandbox, whose own metadata changes when the first backup creates its cache there.
  const src = join(await mkdtemp(join(tmpdir(), 'rozen-atime-')), 'src');
  t.teardown(() => rm(dirname(src), { recursive: true, force: true }));
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'small.txt'), 'small');
  writeFileSync(join(src, 'sub', 'large.bin'), Buffer.alloc(5 * 1024 * 1024, 1));
  // atime older than mtime: under relatime, any read or listing would update it.
  const old = new Date('2001-01-01T00:00:00Z');
  const recent = new Date();
  const paths = [join(src, 'small.txt'), join(src, 'sub', 'large.bin'), join(src, 'sub'), src];
  for (const p of paths) utimesSync(p, old, recent);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', '--quiet', repo, src], env)).code, 0);
  for (const p of paths) t.equal(statSync(p).atimeMs, old.getTime(), `${p.slice(dirname(src).length)} keeps its atime`);
  t.equal((await rozen(['backup', '--quiet', repo, src], env)).code, 0);
  // Ancestors such as /tmp may change meanwhile (other processes); nothing at or below src may.
  const ids = (JSON.parse((await rozen(['snapshots', '--json', repo], env)).stdout) as { id: string }[]).map((s) => s.id);
  const diff = await rozen(['diff', repo, ids[0]!, ids[1]!], env);
  t.equal(diff.code, 0);
  t.notOk(
    diff.stdout.split('\n').some((l) => l.includes('/src')),
    `no entry below the backed-up path changed:\n${diff.stdout}`,
  );
});
