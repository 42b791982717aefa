/** `rozen copy <src> <dst> [snapshot...]`: copy snapshots into another repository, which has its own keys. */
import type { Command } from 'commander';
import { shortId } from '../../core/ids.js';
import { copySnapshots, type CopyCounters, type CopyEvent } from '../../lifecycle/copy.js';
import { acquireLock } from '../../repo/lock.js';
import type { Repository } from '../../repo/repository.js';
import { findSnapshots, listSnapshots } from '../../repo/snapshots.js';
import { openPair, openRepoWith, passwordSource } from '../context.js';
import { startHeapTrimmer } from '../heap-trimmer.js';
import { formatBytes, json, out } from '../output.js';
import { readFromPassword, readPassword } from '../password.js';
import { progressMode, type ProgressMode } from '../progress-bar.js';
import { underLock } from '../signals.js';
import { snapshotFilter, type SelectorOpts } from './selector.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface CopyOpts extends SelectorOpts {
  readonly fromPasswordFile?: string;
  readonly fromPasswordCommand?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly rechunk?: boolean;
}

const HELP = `
Blob ids are keyed hashes, so the two repositories name equal data differently: what a snapshot holds is read
from the source, hashed again with the destination's keys, and only the blobs the destination lacks are sealed and
written (packs, then the index, then the snapshot record). Where the destination holds a copy of an earlier
snapshot (the parent, else the latest of the same host and paths), unchanged directories and files are taken from
that copy without being read. A large file keeps the source's cuts, so of a changed one only its new blobs are
read; --rechunk cuts it again with the destination's chunker instead, which later backups into the destination
then share, at the cost of reading every changed large file whole.

A snapshot the destination already has a copy of (same original snapshot, time, host, user, paths and tags) is
skipped, so running the same copy again copies nothing.

The source's password: --from-password-command or --from-password-file, else ROZEN_FROM_PASSWORD_COMMAND,
ROZEN_FROM_PASSWORD, ROZEN_FROM_PASSWORD_FILE, else a prompt. The destination's as for any command.`;

export function registerCopy(program: Command): void {
  program
    .command('copy')
    .description('copy snapshots (all, or those named) from one repository into another with other keys')
    .argument('<src-repo>', 'repository to copy from: a directory path or s3://bucket/prefix')
    .argument('<dst-repo>', 'repository to copy into (it must exist: rozen init)')
    .argument('[snapshot...]', 'snapshot ids, unique prefixes or latest (default: every snapshot matching --host/--tag/--path)')
    .option('--from-password-file <file>', 'read the source repository password from this file')
    .option('--from-password-command <cmd>', 'run CMD with /bin/sh; its output, less the trailing newline, is the source password')
    .option('--host <host>', 'without snapshots named: only those of this host; with latest: the newest of them')
    .option('--tag <tag>', 'the same for a tag (repeatable: all must match)', collect, [])
    .option('--path <path>', 'the same for a backed-up path (repeatable: all must match)', collect, [])
    .option('--rechunk', "cut large files again with the destination's chunker (reads each changed large file whole)")
    .option('--quiet', 'print nothing but errors')
    .option('--json', 'print a JSON summary')
    .addHelpText('after', HELP)
    .action(async (from: string, to: string, selectors: string[], opts: CopyOpts, cmd: Command) => {
      const stopTrimming = startHeapTrimmer();
      try {
        const fromPassword = (): Promise<string> =>
          readFromPassword({ passwordFile: opts.fromPasswordFile, passwordCommand: opts.fromPasswordCommand });
        const [src, dst] = await openPair(
          (turn) => openRepoWith(from, cmd, turn(fromPassword)),
          (turn) =>
            openRepoWith(
              to,
              cmd,
              turn(() => readPassword(passwordSource(cmd))),
            ),
        );
        try {
          await runCopy(src, dst, selectors, opts);
        } finally {
          try {
            await dst.close();
          } finally {
            await src.close();
          }
        }
      } finally {
        stopTrimming();
      }
    });
}

async function runCopy(src: Repository, dst: Repository, selectors: readonly string[], opts: CopyOpts): Promise<void> {
  const sources = await listSnapshots(src);
  const snaps = await findSnapshots(src, selectors, snapshotFilter(opts));
  const mode = progressMode(opts);
  const counters: CopyCounters = { files: 0, bytesRead: 0, blobsWritten: 0, bytesWritten: 0 };
  const progress = copyProgress(mode, counters);
  const events: CopyEvent[] = [];
  const started = Date.now();
  const r = await underLock(
    dst,
    { exclusive: false, interrupted: 'interrupted: the snapshots copied so far are kept', progress },
    async (signal) => {
      const srcLock = await acquireLock(src, false);
      try {
        const onSnapshot = (e: CopyEvent): void => {
          events.push(e);
          progress.clear();
          if (mode !== 'json' && !opts.quiet) out(eventLine(e));
        };
        return await copySnapshots(src, dst, snaps, { signal, onSnapshot, sources, rechunk: opts.rechunk === true }, counters);
      } finally {
        await srcLock.release();
      }
    },
  );
  const seconds = (Date.now() - started) / 1000;
  if (opts.json) json(summaryJson(r.copied, r.skipped, counters, events, seconds));
  else if (!opts.quiet) out(summaryLine(r.copied, r.skipped, counters, seconds));
}

function eventLine(e: CopyEvent): string {
  const s = e.source;
  const what = `snapshot ${shortId(s.id)} of ${s.hostname} at ${s.time.slice(0, 19).replace('T', ' ')}`;
  return e.kind === 'copied' ? `${what}: copied as ${shortId(e.copy)}` : `${what}: skipped, already copied as ${shortId(e.copy)}`;
}

function summaryLine(copied: number, skipped: number, c: Readonly<CopyCounters>, seconds: number): string {
  if (copied === 0) return `nothing to copy: ${skipped} snapshot(s) already in the destination`;
  return (
    `copied ${copied} snapshot(s) (${skipped} already there): ${c.files} file(s) read, ${formatBytes(c.bytesRead)}; ` +
    `${c.blobsWritten} blob(s) (${formatBytes(c.bytesWritten)}) written in ${seconds.toFixed(1)} s`
  );
}

function summaryJson(copied: number, skipped: number, c: Readonly<CopyCounters>, events: readonly CopyEvent[], seconds: number): unknown {
  return {
    message_type: 'summary',
    snapshots_copied: copied,
    snapshots_skipped: skipped,
    files: c.files,
    bytes_read: c.bytesRead,
    blobs_written: c.blobsWritten,
    bytes_written: c.bytesWritten,
    duration_seconds: seconds,
    snapshots: events.map((e) => ({ source: e.source.id, copy: e.copy, skipped: e.kind === 'skipped' })),
  };
}

/** A status line on a terminal, redrawn twice a second. */
function copyProgress(mode: ProgressMode, c: Readonly<CopyCounters>): { stop(): void; clear(): void } {
  if (mode !== 'tty') return { stop() {}, clear() {} };
  const draw = (): void => {
    const line = `copying: ${c.files} file(s) read, ${formatBytes(c.bytesRead)}; ${c.blobsWritten} blob(s) (${formatBytes(c.bytesWritten)}) written`;
    process.stderr.write(`\r\x1b[K${line}`);
  };
  const timer = setInterval(draw, 500);
  const clear = (): void => void process.stderr.write('\r\x1b[K');
  return {
    clear,
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}
