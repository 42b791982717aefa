/** Progress on a TTY (cli-progress), newline-delimited JSON status with --json, nothing with --quiet. */
import cliProgress from 'cli-progress';
import type { BackupCounters, BackupProgress } from '../snapshot/backup/progress.js';
import { formatBytes, json, warn } from './output.js';

export type ProgressMode = 'tty' | 'json' | 'quiet';

export function progressMode(opts: { quiet?: boolean; json?: boolean }): ProgressMode {
  if (opts.json) return 'json';
  if (opts.quiet || !process.stderr.isTTY) return 'quiet';
  return 'tty';
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

type Progress = BackupProgress & { stop(): void };

/** `totalHint`: bytes expected (the parent snapshot's total), for the ETA. */
export function backupProgress(mode: ProgressMode, totalHint = 0): Progress {
  const started = Date.now();
  return mode === 'tty' ? barProgress(started, totalHint) : statusLines(mode, started);
}

/** A file that could not be read: a warning, and with --json an error message before it. */
function reportError(mode: ProgressMode, path: string, message: string): void {
  if (mode === 'json') json({ message_type: 'error', item: path, error: message });
  warn(`${path}: ${message}`);
}

/** With --json, a status message at most once a second; with --quiet (or no TTY), nothing but the errors. */
function statusLines(mode: ProgressMode, started: number): Progress {
  let last = 0;
  return {
    update(c: Readonly<BackupCounters>, current: Buffer) {
      if (mode !== 'json' || Date.now() - last < 1000) return;
      last = Date.now();
      json({
        message_type: 'status',
        seconds_elapsed: (last - started) / 1000,
        files_done: c.filesNew + c.filesChanged + c.filesUnmodified,
        bytes_read: c.bytesRead,
        bytes_total: c.bytesTotal,
        current_file: current.toString(),
      });
    },
    error: (path, message) => reportError(mode, path, message),
    stop() {},
  };
}

/** A bar on the terminal, redrawn at most five times a second; an error is printed above it. */
function barProgress(started: number, totalHint: number): Progress {
  let last = 0;
  const bar = new cliProgress.SingleBar({
    format: '{files} files, {read} read, {rate}/s, {added} added, ETA {left} | {current}',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  bar.start(totalHint || 1, 0, { files: 0, read: '0 B', rate: '0 B', added: '0 B', left: '?', current: '' });
  return {
    update(c, path) {
      if (Date.now() - last < 200) return;
      last = Date.now();
      bar.update(c.bytesRead, barFields(c, path.toString(), Math.max(0.001, (last - started) / 1000), totalHint));
    },
    error(path, message) {
      bar.stop();
      reportError('tty', path, message);
      bar.start(1, 0);
    },
    stop() {
      bar.stop();
    },
  };
}

/** The bar's fields after `secs` seconds. */
function barFields(c: Readonly<BackupCounters>, current: string, secs: number, totalHint: number): Record<string, string | number> {
  // ETA from the bytes seen (read or unchanged) against the parent snapshot's total, when there is one.
  const seenRate = c.bytesTotal / secs;
  const eta = totalHint > c.bytesTotal && seenRate > 0 ? formatDuration((totalHint - c.bytesTotal) / seenRate) : '?';
  return {
    left: eta,
    files: c.filesNew + c.filesChanged + c.filesUnmodified,
    read: formatBytes(c.bytesRead),
    rate: formatBytes(Math.round(c.bytesRead / secs)),
    added: formatBytes(c.bytesAdded),
    current: current.length > 50 ? `…${current.slice(-49)}` : current,
  };
}
