/** The current snapshot layout, re-listed from the source at most once per refresh interval. */
import type { Snapshot } from '../core/snapshot.js';
import type { SnapshotSource } from './snapshot-source.js';
import { buildLayout, type SnapshotLayout } from './snapshot-layout.js';

export class SnapshotCatalog {
  private layout: SnapshotLayout | undefined;
  private listedAt = -Infinity;
  private inflight: Promise<SnapshotLayout> | undefined;

  constructor(
    private readonly source: Pick<SnapshotSource, 'listSnapshots'>,
    private readonly refreshMs: number,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
    /** Serve only the snapshots this keeps (the mount's --host, --tag, --path). */
    private readonly keep: (s: Snapshot) => boolean = () => true,
  ) {}

  /** The last layout listed, without waiting (undefined before the first listing). */
  get cached(): SnapshotLayout | undefined {
    return this.layout;
  }

  /** True when a listing now would be allowed (the last one is older than the refresh interval). */
  get stale(): boolean {
    return this.now() - this.listedAt >= this.refreshMs;
  }

  /** The layout, listed again first if stale. A failed listing keeps serving the previous layout. */
  async fresh(): Promise<SnapshotLayout> {
    if (this.layout && !this.stale) return this.layout;
    this.inflight ??= this.relist().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async relist(): Promise<SnapshotLayout> {
    try {
      const snapshots = await this.source.listSnapshots();
      this.layout = buildLayout(snapshots.filter(this.keep));
    } catch (err) {
      if (!this.layout) throw err;
      this.log(`rozen mount: listing snapshots failed, serving the previous list: ${String(err)}`);
    }
    this.listedAt = this.now();
    return this.layout;
  }
}
