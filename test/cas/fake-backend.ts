/** A tiny Map-based Backend for CAS tests, with hooks to fail or slow down stream uploads and to count GETs. */
import type { Backend, ObjectInfo, PutSource } from '../../src/backend/backend.js';
import { corrupt, notFound, RozenError } from '../../src/core/errors.js';
import type { ByteRange } from '../../src/core/types.js';

export class FakeBackend implements Backend {
  readonly location = 'memory://fake';
  readonly objects = new Map<string, Uint8Array>();
  readonly gets: { name: string; range: ByteRange | undefined }[] = [];
  /** A stream put throws after it has taken this many bytes. */
  failStreamAfter: number | undefined;
  failRename = false;
  /** Called for every piece a stream put takes (e.g. to slow the consumer down). */
  onPiece: ((piece: Uint8Array) => Promise<void>) | undefined;

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const name of [...this.objects.keys()]) {
      if (name.startsWith(prefix)) yield this.#info(name);
    }
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    return this.objects.has(name) ? this.#info(name) : undefined;
  }

  async get(name: string, range?: ByteRange): Promise<Uint8Array> {
    this.gets.push({ name, range });
    const data = this.objects.get(name);
    if (data === undefined) throw notFound(name);
    if (range === undefined) return data.slice();
    if (range.offset + range.length > data.length) throw corrupt(`${name} (range beyond end)`);
    return data.slice(range.offset, range.offset + range.length);
  }

  async put(name: string, source: PutSource): Promise<void> {
    this.objects.set(name, source instanceof Uint8Array ? source.slice() : await this.#collect(source));
  }

  async rename(from: string, to: string): Promise<void> {
    const data = this.objects.get(from);
    if (data === undefined) throw notFound(from);
    if (this.failRename) throw new RozenError('BackendError', 'rename failed (injected)');
    this.objects.set(to, data);
    this.objects.delete(from);
  }

  async delete(name: string): Promise<void> {
    this.objects.delete(name);
  }

  async close(): Promise<void> {}

  names(prefix = ''): string[] {
    return [...this.objects.keys()].filter((n) => n.startsWith(prefix));
  }

  async #collect(source: readonly Uint8Array[] | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
    const pieces: Uint8Array[] = [];
    let taken = 0;
    for await (const piece of source) {
      taken += piece.length;
      if (this.failStreamAfter !== undefined && taken > this.failStreamAfter) {
        throw new RozenError('BackendError', 'stream put failed (injected)');
      }
      await this.onPiece?.(piece);
      pieces.push(piece);
    }
    return Buffer.concat(pieces);
  }

  #info(name: string): ObjectInfo {
    return { name, size: this.objects.get(name)?.length ?? 0, mtimeMs: 0 };
  }
}
