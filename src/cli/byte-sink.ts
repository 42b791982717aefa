/** Where dump's bytes go: a stream that waits for its reader, or a file (one the dump created is removed if it fails). */
import { createWriteStream } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { ByteSink } from '../snapshot/dump/entries.js';

/** Writes to a stream, waiting for 'drain' when its buffer is full; the stream's first error fails every later write. */
export class StreamSink implements ByteSink {
  #error: Error | undefined;

  constructor(readonly stream: Writable) {
    stream.on('error', (err) => (this.#error ??= err));
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.stream.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        this.stream.off('drain', done).off('error', done);
        if (err) reject(err);
        else resolve();
      };
      this.stream.on('drain', done).on('error', done);
    });
  }

  /** Flush and close (a file written with --output); throws what went wrong meanwhile. */
  async close(): Promise<void> {
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Dump to a file; one this dump created is removed again if the dump fails (never one that was there: /dev/null). */
export async function toFile(path: string, fn: (sink: ByteSink) => Promise<void>): Promise<void> {
  const existed = (await lstat(path).catch(() => undefined)) !== undefined;
  const sink = new StreamSink(createWriteStream(path));
  try {
    await fn(sink);
    await sink.close();
  } catch (err) {
    // The file is opened in the background: wait until the stream has closed it, or an open still under way
    // would create the file again after it was removed.
    const closed = new Promise<void>((resolve) => (sink.stream.closed ? resolve() : sink.stream.once('close', () => resolve())));
    sink.stream.destroy();
    await closed;
    if (!existed) await rm(path, { force: true });
    throw err;
  }
}
