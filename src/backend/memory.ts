/** In-memory backend for tests: stores copies of objects, takes its clock from the caller. */
import { notFound } from '../core/errors.js';
import type { ByteRange } from '../core/types.js';
import type { Backend, ObjectInfo, PutSource } from './backend.js';
import { collect } from './collect.js';
import { checkName, checkRange, shortRead } from './names.js';

interface Stored {
  readonly data: Uint8Array;
  readonly mtimeMs: number;
}

export interface MemoryBackendOptions {
  /** Label used in `location` (memory://<name>). */
  readonly name?: string;
  /** Milliseconds since the epoch; defaults to Date.now. */
  readonly now?: () => number;
}

export class MemoryBackend implements Backend {
  readonly location: string;
  private readonly objects = new Map<string, Stored>();
  private readonly now: () => number;

  constructor(options: MemoryBackendOptions = {}) {
    this.location = `memory://${options.name ?? 'anonymous'}`;
    this.now = options.now ?? Date.now;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const name of [...this.objects.keys()]) {
      const info = name.startsWith(prefix) ? this.info(name) : undefined;
      if (info !== undefined) yield info;
    }
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    return this.info(checkName(name));
  }

  async get(name: string, range?: ByteRange): Promise<Uint8Array> {
    const stored = this.objects.get(checkName(name));
    if (stored === undefined) throw notFound(`${this.location}/${name}`);
    if (range === undefined) return stored.data.slice();
    const { offset, length } = checkRange(range);
    const size = stored.data.byteLength;
    if (offset + length > size) throw shortRead(name, range, Math.max(0, size - offset));
    return stored.data.slice(offset, offset + length);
  }

  async put(name: string, source: PutSource): Promise<void> {
    checkName(name);
    const data = await collect(source);
    this.objects.set(name, { data, mtimeMs: this.now() });
  }

  async rename(from: string, to: string): Promise<void> {
    const stored = this.objects.get(checkName(from));
    if (stored === undefined) throw notFound(`${this.location}/${from}`);
    this.objects.set(checkName(to), stored);
    if (from !== to) this.objects.delete(from);
  }

  async delete(name: string): Promise<void> {
    this.objects.delete(checkName(name));
  }

  async close(): Promise<void> {}

  /** Total bytes stored, for tests that check what a command left behind. */
  get totalBytes(): number {
    let total = 0;
    for (const { data } of this.objects.values()) total += data.byteLength;
    return total;
  }

  private info(name: string): ObjectInfo | undefined {
    const stored = this.objects.get(name);
    return stored && { name, size: stored.data.byteLength, mtimeMs: stored.mtimeMs };
  }
}

const named = new Map<string, MemoryBackend>();

/** The process-wide backend behind `memory://<name>`: the same object for the same name until reset. */
export function namedMemoryBackend(name: string): MemoryBackend {
  let backend = named.get(name);
  if (backend === undefined) {
    backend = new MemoryBackend({ name });
    named.set(name, backend);
  }
  return backend;
}

/** Forgets one named backend (or all), so the next open of that name starts empty. */
export function resetMemoryBackends(name?: string): void {
  if (name === undefined) named.clear();
  else named.delete(name);
}
