/** Open files being restored, bounded: the least recently used handle is closed when the cap is reached. */
import { open, type FileHandle } from 'node:fs/promises';

export class FdCache {
  readonly #cap: number;
  readonly #open = new Map<number, Promise<FileHandle>>();

  constructor(cap = 64) {
    this.#cap = cap;
  }

  /** The handle of file `key` at `path`, opened for writing without truncation. */
  async get(key: number, path: Buffer): Promise<FileHandle> {
    let h = this.#open.get(key);
    if (h) {
      this.#open.delete(key);
      this.#open.set(key, h);
      return h;
    }
    if (this.#open.size >= this.#cap) {
      const [oldKey, oldHandle] = this.#open.entries().next().value as [number, Promise<FileHandle>];
      this.#open.delete(oldKey);
      await (await oldHandle).close();
    }
    h = open(path, 'r+');
    this.#open.set(key, h);
    return h;
  }

  async close(key: number): Promise<void> {
    const h = this.#open.get(key);
    this.#open.delete(key);
    if (h) await (await h).close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(all.map(async (h) => (await h).close()));
  }
}
