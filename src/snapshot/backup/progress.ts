/** What a backup reports while it runs, and the counters of its summary. */

export interface BackupCounters {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dirs: number;
  others: number;
  errors: number;
  bytesRead: number;
  bytesTotal: number;
  blobsNew: number;
  bytesAdded: number;
  /** Entries recorded with extended attributes. */
  xattrs: number;
}

export function newCounters(): BackupCounters {
  return { filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirs: 0, others: 0, errors: 0, bytesRead: 0, bytesTotal: 0, blobsNew: 0, bytesAdded: 0, xattrs: 0 };
}

export interface BackupProgress {
  /** Called often (the sink rate-limits); `current` is the file being read. */
  update(c: Readonly<BackupCounters>, current: string): void;
  /** A file or directory that could not be read: reported, skipped. */
  error(path: string, message: string): void;
}

export const silentProgress: BackupProgress = { update() {}, error() {} };
