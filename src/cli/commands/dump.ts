/** `rozen dump <repo> <snapshot> <path>`: a file's bytes, or a directory as a tar or zip stream, to stdout or a file. */
import { Command, Option } from 'commander';
import { RozenError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import type { Repository } from '../../repo/repository.js';
import { findSnapshot } from '../../repo/snapshots.js';
import type { ByteSink, DumpTop } from '../../snapshot/dump/entries.js';
import { fileBytes } from '../../snapshot/dump/file-bytes.js';
import { writeTar } from '../../snapshot/dump/tar-archive.js';
import { writeZip } from '../../snapshot/dump/zip-archive.js';
import { findNode, snapshotRoot } from '../../snapshot/trees.js';
import { withRepo } from '../context.js';
import { StreamSink, toFile } from '../byte-sink.js';
import { warn } from '../output.js';
import { selectorOptions, snapshotFilter, type SelectorOpts } from './selector.js';

interface DumpOpts extends SelectorOpts {
  readonly archive?: 'tar' | 'zip';
  readonly output?: string;
}

async function dumpTop(repo: Repository, top: DumpTop, archive: DumpOpts['archive'], sink: ByteSink): Promise<void> {
  const skipped = (path: string, why: string): void => warn(`${path}: skipped: ${why}`);
  const kind = archive ?? (top.node.type === 'dir' ? 'tar' : undefined);
  if (kind === 'tar') return writeTar(repo, top, sink, skipped);
  if (kind === 'zip') return writeZip(repo, top, sink, skipped);
  if (top.node.type !== 'file') throw new RozenError('InvalidArgument', `${top.name.toString()} is a ${top.node.type}: give --archive`);
  for await (const chunk of fileBytes(repo, top.node, top.name.toString())) await sink.write(chunk);
}

/** Dump to stdout (a reader that goes away, `| head`, ends the process: see main.ts). */
async function toStdout(fn: (sink: ByteSink) => Promise<void>): Promise<void> {
  if (process.stdout.isTTY) throw new RozenError('InvalidArgument', 'standard output is a terminal: redirect it or use --output');
  await fn(new StreamSink(process.stdout));
}

export function registerDump(program: Command): void {
  selectorOptions(
    program
      .command('dump')
      .description('write a file of a snapshot to stdout, or a directory as a tar (default) or zip archive of its contents')
      .argument('<repo>')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .argument('<path>', 'path inside the snapshot (/ for all of it)')
      .addOption(
        new Option('--archive <format>', 'archive format (default for directories: tar; a file is archived too when given)').choices([
          'tar',
          'zip',
        ]),
      )
      .option('-o, --output <file>', 'write to this file instead of standard output')
      .addHelpText(
        'after',
        '\nA tar archive is pax: it keeps mode, owner ids and names, nanosecond mtimes, symlinks, hardlinks, devices, fifos and\n' +
          'extended attributes (SCHILY.xattr); sockets are skipped with a warning. A zip keeps modes, mtimes and symlinks.\n' +
          'Every chunk is verified as it is read. A reader that stops early (| head) ends the dump quietly with status 141, as SIGPIPE would.',
      ),
  ).action(async (url: string, sel: string, path: string, opts: DumpOpts, cmd: Command) => {
    await withRepo(url, cmd, async (repo) => {
      const snap = await findSnapshot(repo, sel, snapshotFilter(opts));
      const node = path.split('/').every((p) => p === '') ? snapshotRoot(snap) : await findNode(repo, snap.tree, path);
      if (!node) throw new RozenError('NotFound', `${path} is not in snapshot ${shortId(snap.id)}`);
      const top: DumpTop = { node, name: node.name };
      const run = (sink: ByteSink): Promise<void> => dumpTop(repo, top, opts.archive, sink);
      await (opts.output !== undefined ? toFile(opts.output, run) : toStdout(run));
    });
  });
}
