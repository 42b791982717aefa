import t from 'tap';
import { createKeyFile, defaultKdf, describeKeyFile, openKeyFile } from '../../src/crypto/key-file.js';
import { generateMasterKey } from '../../src/crypto/master-key.js';

const FAST = { N: 1024, r: 8, p: 1 };

async function realKeyFile(opts: { hostname?: string; username?: string } = {}): Promise<Uint8Array> {
  return (await createKeyFile(generateMasterKey(), 'pw', { kdf: FAST, ...opts })).bytes;
}

function edit(bytes: Uint8Array, change: object): Uint8Array {
  const json = { ...(JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>), ...change };
  return new Uint8Array(Buffer.from(JSON.stringify(json)));
}

/** Accepted by the memory bound alone, yet hours or years of scrypt work. */
const EXPENSIVE = [
  { N: 2 ** 20, r: 1, p: 2 ** 22 },
  { N: 2 ** 22, r: 1, p: 2 ** 10 },
  { N: 2 ** 20, r: 8, p: 2 ** 22 },
  { N: 2 ** 22, r: 8, p: 2 ** 10 },
  { N: 2 ** 18, r: 8, p: 4 },
  { N: 2 ** 16, r: 64, p: 2 },
];

t.test(
  'scrypt parameters costing more CPU than a writer may ask for are corrupt, before any derivation; what writers ask for is not',
  async (t) => {
    const real = await realKeyFile();
    for (const kdf of EXPENSIVE) {
      const planted = edit(real, kdf);
      const what = `N=${kdf.N} r=${kdf.r} p=${kdf.p}`;
      let error: unknown;
      try {
        describeKeyFile(planted);
      } catch (err) {
        error = err;
      }
      t.match(error, { code: 'CorruptData' }, what);
      if (error === undefined) continue; // opening it would run scrypt for hours
      const start = performance.now();
      await t.rejects(openKeyFile(planted, 'pw'), { code: 'CorruptData' }, what);
      t.ok(performance.now() - start < 500, `${what} refused at once`);
    }
    // Every cost ROZEN_KDF_N can ask for is within the readers' bound.
    const biggest = defaultKdf({ ROZEN_KDF_N: String(2 ** 19) });
    t.same(biggest, { N: 2 ** 19, r: 8, p: 1 });
    t.same(describeKeyFile(edit(real, biggest)).kdf, biggest, 'the largest key file a writer makes is read');
    t.throws(() => defaultKdf({ ROZEN_KDF_N: String(2 ** 20) }), { code: 'InvalidArgument' });
  },
);

t.test('oversized key files and fields, wrong types and garbage are corrupt; writers cut long names to fit', async (t) => {
  const real = await realKeyFile();
  t.throws(() => describeKeyFile(edit(real, { hostname: 'h'.repeat(256) })), { code: 'CorruptData' }, 'hostname over 255 bytes');
  t.throws(() => describeKeyFile(edit(real, { username: 'é'.repeat(128) })), { code: 'CorruptData' }, 'username over 255 bytes');
  t.throws(() => describeKeyFile(edit(real, { extra: 'x'.repeat(5000) })), { code: 'CorruptData' }, 'file over 4096 bytes');
  t.same(describeKeyFile(edit(real, { hostname: 'h'.repeat(255) })).hostname.length, 255, '255 bytes is fine');

  const long = await realKeyFile({ hostname: `a${'é'.repeat(200)}`, username: '🔑'.repeat(100) });
  const info = describeKeyFile(long);
  t.equal(Buffer.byteLength(info.hostname), 255, 'cut at a character boundary');
  t.equal(info.hostname, `a${'é'.repeat(127)}`);
  t.equal(info.username, '🔑'.repeat(63));
  t.ok(await openKeyFile(long, 'pw'), 'and still opens');

  // Wrong types and garbage are corrupt too, not crashes.
  const cases: Record<string, unknown>[] = [
    { hostname: 5 },
    { username: null },
    { created: 'not a date' },
    { N: '1024' },
    { r: 0 },
    { p: -1 },
    { N: 1.5 },
    { salt: 12 },
    { data: ['x'] },
    { salt: Buffer.alloc(31).toString('base64') },
  ];
  for (const change of cases) t.throws(() => describeKeyFile(edit(real, change)), { code: 'CorruptData' }, JSON.stringify(change));
  for (const bytes of [new Uint8Array(300).map((_, i) => (i * 37) & 0xff), Buffer.from('null'), Buffer.from('"x"'), Buffer.from('[1]')]) {
    t.throws(() => describeKeyFile(bytes), { code: 'CorruptData' });
  }
});
