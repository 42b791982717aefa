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
  return {
    filesNew: 0,
    filesChanged: 0,
    filesUnmodified: 0,
    dirs: 0,
    others: 0,
    errors: 0,
    bytesRead: 0,
    bytesTotal: 0,
    blobsNew: 0,
    bytesAdded: 0,
    xattrs: 0,
  };
}

export interface BackupProgress {
  /** Called for every entry (the sink rate-limits); `current` is the path of the file being read, as bytes. */
  update(c: Readonly<BackupCounters>, current: Buffer): void;
  /** A file or directory that could not be read: reported, skipped. */
  error(path: string, message: string): void;
}

export const silentProgress: BackupProgress = { update() {}, error() {} };
