/** The conformance suite every Backend must pass: run it with a factory that makes a fresh, empty backend. */
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { isRozenError } from '../../src/core/errors.js';
import type { Backend, ObjectInfo } from '../../src/backend/backend.js';
import { patternBytes } from '../helpers/bytes.js';

export { patternBytes };

export type MakeBackend = () => Promise<Backend>;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export async function listAll(b: Backend, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of b.list(prefix)) out.push(info);
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}
const names = async (b: Backend, prefix: string): Promise<string[]> => (await listAll(b, prefix)).map((i) => i.name);

/** Byte equality without tap's element-by-element diff, which is far too slow for megabytes. */
export function sameBytes(t: Test, actual: Uint8Array, expected: Uint8Array, message = 'same bytes'): void {
  const equal = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected);
  t.ok(equal, message, equal ? {} : { actualLength: actual.byteLength, expectedLength: expected.byteLength });
}

/** Yields `total` bytes in chunks of varying size, recording the largest chunk held at once. */
async function* chunked(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < data.byteLength; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    yield data.slice(at, at + n);
    at += n;
  }
}

async function withBackend(make: MakeBackend, fn: (b: Backend) => Promise<void>): Promise<void> {
  const b = await make();
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

export function runConformance(t: Test, make: MakeBackend): void {
  const test = (name: string, fn: (t: Test, b: Backend) => Promise<void>): void => {
    t.test(name, (tt) => withBackend(make, (b) => fn(tt, b)));
  };

  test('put, get, stat', async (t, b) => {
    t.type(b.location, 'string');
    await b.put('config', enc('hello world'));
    t.equal(dec(await b.get('config')), 'hello world');
    const info = await b.stat('config');
    t.equal(info?.name, 'config');
    t.equal(info?.size, 11);
    t.ok((info?.mtimeMs ?? -1) >= 0);
  });

  test('stores a copy of the bytes given', async (t, b) => {
    const data = enc('abc');
    await b.put('x', data);
    data[0] = 0x7a;
    t.equal(dec(await b.get('x')), 'abc');
    const got = await b.get('x');
    got[1] = 0x7a;
    t.equal(dec(await b.get('x')), 'abc');
  });

  test('ranges', async (t, b) => {
    await b.put('r', enc('0123456789'));
    t.equal(dec(await b.get('r', { offset: 0, length: 3 })), '012');
    t.equal(dec(await b.get('r', { offset: 4, length: 3 })), '456');
    t.equal(dec(await b.get('r', { offset: 7, length: 3 })), '789');
    t.equal(dec(await b.get('r', { offset: 0, length: 10 })), '0123456789');
    t.equal((await b.get('r', { offset: 10, length: 0 })).byteLength, 0);
    t.equal((await b.get('r', { offset: 3, length: 0 })).byteLength, 0);
  });

  test('ranges past the end are short reads', async (t, b) => {
    await b.put('r', enc('0123456789'));
    for (const range of [
      { offset: 8, length: 3 },
      { offset: 10, length: 1 },
      { offset: 50, length: 5 },
      { offset: 11, length: 0 },
    ]) {
      await t.rejects(b.get('r', range), { code: 'CorruptData', message: /short read/ }, JSON.stringify(range));
    }
  });

  test('invalid ranges and names are rejected', async (t, b) => {
    await b.put('r', enc('0123456789'));
    await t.rejects(b.get('r', { offset: -1, length: 2 }), { code: 'InvalidArgument' });
    await t.rejects(b.get('r', { offset: 0.5, length: 2 }), { code: 'InvalidArgument' });
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', 'trailing/', 'a/./b']) {
      await t.rejects(b.put(bad, enc('x')), { code: 'InvalidArgument' }, bad);
    }
  });

  test('missing objects', async (t, b) => {
    t.equal(await b.stat('nope'), undefined);
    t.equal(await b.stat('deep/er/nope'), undefined);
    await t.rejects(b.get('nope'), { code: 'NotFound' });
    await t.rejects(b.get('deep/nope', { offset: 0, length: 1 }), { code: 'NotFound' });
    await t.rejects(b.get('deep/nope', { offset: 0, length: 0 }), { code: 'NotFound' });
    await t.rejects(b.rename('nope', 'other'), { code: 'NotFound' });
    await b.delete('nope');
    await b.delete('deep/er/nope');
    t.same(await names(b, ''), []);
  });

  test('list by prefix', async (t, b) => {
    const all = ['a/1', 'a/2', 'ab/3', 'b/c/d/4', 'config', 'packs/0f/0f1e', 'packs/a0/a0ff'];
    for (const [i, name] of all.entries()) await b.put(name, new Uint8Array(i));
    t.same(await names(b, ''), all);
    t.same(await names(b, 'a/'), ['a/1', 'a/2']);
    t.same(await names(b, 'a'), ['a/1', 'a/2', 'ab/3']);
    t.same(await names(b, 'b/c/'), ['b/c/d/4']);
    t.same(await names(b, 'b/c/d/4'), ['b/c/d/4']);
    t.same(await names(b, 'packs/'), ['packs/0f/0f1e', 'packs/a0/a0ff']);
    t.same(await names(b, 'packs/a'), ['packs/a0/a0ff']);
    t.same(await names(b, 'zzz/'), []);
    t.same(await names(b, 'con'), ['config']);
    const infos = await listAll(b, '');
    t.same(
      infos.map((i) => i.size),
      all.map((_, i) => i),
    );
    t.ok(infos.every((i) => i.mtimeMs >= 0));
  });

  test('overwrite', async (t, b) => {
    await b.put('o/x', enc('first version'));
    await b.put('o/x', enc('second'));
    t.equal(dec(await b.get('o/x')), 'second');
    t.equal((await b.stat('o/x'))?.size, 6);
    t.same(await names(b, 'o/'), ['o/x']);
  });

  test('rename', async (t, b) => {
    await b.put('tmp/abc', enc('payload'));
    await b.rename('tmp/abc', 'packs/12/1234');
    t.equal(await b.stat('tmp/abc'), undefined);
    t.equal(dec(await b.get('packs/12/1234')), 'payload');
    await b.put('other', enc('new'));
    await b.rename('other', 'packs/12/1234');
    t.equal(dec(await b.get('packs/12/1234')), 'new');
    t.same(await names(b, ''), ['packs/12/1234']);
    await b.rename('packs/12/1234', 'packs/12/1234');
    t.equal(dec(await b.get('packs/12/1234')), 'new', 'renaming onto itself keeps the object');
  });

  test('delete', async (t, b) => {
    await b.put('d/1', enc('x'));
    await b.put('d/2', enc('y'));
    await b.delete('d/1');
    await b.delete('d/1');
    t.equal(await b.stat('d/1'), undefined);
    await t.rejects(b.get('d/1'), { code: 'NotFound' });
    t.same(await names(b, 'd/'), ['d/2']);
  });

  test('empty objects', async (t, b) => {
    await b.put('e/bytes', new Uint8Array(0));
    await b.put('e/stream', (async function* () {})());
    for (const name of ['e/bytes', 'e/stream']) {
      t.equal((await b.get(name)).byteLength, 0, name);
      t.equal((await b.stat(name))?.size, 0, name);
    }
    t.same(await names(b, 'e/'), ['e/bytes', 'e/stream']);
  });

  test('small streamed put', async (t, b) => {
    const data = patternBytes(100_000, 7);
    await b.put('s/small', chunked(data, [1, 999, 65536, 3]));
    t.equal(sha(await b.get('s/small')), sha(data));
  });

  test('put in pieces: many tiny ones and a few large ones, empty ones among them', async (t, b) => {
    const data = patternBytes(3 * 1024 * 1024 + 2500, 11);
    const pieces: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const len = i < 2500 ? i % 3 : Math.min(data.length - at, 1 << 20);
      pieces.push(data.subarray(at, at + len));
      at += len;
    }
    t.ok(pieces.length > 2048, `${pieces.length} pieces`);
    await b.put('p/pieces', pieces);
    t.equal(sha(await b.get('p/pieces')), sha(data));
    await b.put('p/none', []);
    t.equal((await b.get('p/none')).byteLength, 0);
  });

  test('streamed put of 20 MiB from an async generator', async (t, b) => {
    const size = 20 * 1024 * 1024 + 12345;
    const data = patternBytes(size, 42);
    await b.put('packs/big/stream', chunked(data, [1 << 20, 65536, 3 << 20, 777]));
    t.equal((await b.stat('packs/big/stream'))?.size, size);
    t.equal(sha(await b.get('packs/big/stream')), sha(data));
    const range = { offset: 9 * 1024 * 1024 - 5, length: 2 * 1024 * 1024 + 10 };
    const part = await b.get('packs/big/stream', range);
    t.equal(sha(part), sha(data.subarray(range.offset, range.offset + range.length)));
  });

  test('names with nested directories', async (t, b) => {
    const name = 'packs/ab/abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567';
    await b.put(name, enc('deep'));
    await b.put('a/b/c/d/e/f', enc('deeper'));
    t.equal(dec(await b.get(name)), 'deep');
    t.equal(dec(await b.get('a/b/c/d/e/f', { offset: 2, length: 4 })), 'eper');
    t.same(await names(b, 'a/b/c/'), ['a/b/c/d/e/f']);
  });

  test('a failing stream source leaves nothing behind', async (t, b) => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield enc('partial');
      throw new Error('source broke');
    }
    await t.rejects(b.put('f/broken', broken()));
    t.equal(await b.stat('f/broken'), undefined);
    t.same(await names(b, ''), []);
  });

  test('errors are RozenErrors', async (t, b) => {
    const err: unknown = await b.get('missing').catch((e: unknown) => e);
    t.ok(isRozenError(err, 'NotFound'));
  });
}
