import t from 'tap';
import { createHash } from 'node:crypto';
import { DEFAULT_KDF, createKeyFile, defaultKdf, describeKeyFile, openKeyFile } from '../../src/crypto/key-file.js';
import { encodeMasterKey, generateMasterKey } from '../../src/crypto/master-key.js';

const FAST = { N: 1024, r: 8, p: 1 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const edit = (bytes: Uint8Array, change: (json: Record<string, unknown>) => void): Uint8Array => {
  const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  change(json);
  return new Uint8Array(Buffer.from(JSON.stringify(json)));
};

t.test('create, describe and open a key file', async (t) => {
  const master = generateMasterKey();
  const now = new Date('2024-05-06T07:08:09.000Z');
  const { id, bytes } = await createKeyFile(master, 'correct horse', { kdf: FAST, hostname: 'h1', username: 'u1', now });
  t.equal(id, createHash('sha256').update(bytes).digest('hex'));
  const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  t.same(Object.keys(json), ['version', 'kdf', 'N', 'r', 'p', 'salt', 'created', 'hostname', 'username', 'data']);
  t.equal(Buffer.from(json['salt'] as string, 'base64').length, 32);
  t.equal(Buffer.from(json['data'] as string, 'base64').length, 64 + 40);
  t.same(describeKeyFile(bytes), { created: now, hostname: 'h1', username: 'u1', kdf: FAST });
  const opened = await openKeyFile(bytes, 'correct horse');
  t.ok(opened);
  t.equal(hex(encodeMasterKey(opened!)), hex(encodeMasterKey(master)));
});

t.test('wrong password gives undefined', async (t) => {
  const { bytes } = await createKeyFile(generateMasterKey(), 'pw', { kdf: FAST });
  t.equal(await openKeyFile(bytes, 'pW'), undefined);
  t.equal(await openKeyFile(bytes, ''), undefined);
});

t.test('non-ASCII passwords are UTF-8', async (t) => {
  const { bytes } = await createKeyFile(generateMasterKey(), 'pässwörd 🔑', { kdf: FAST });
  t.ok(await openKeyFile(bytes, 'pässwörd 🔑'));
});

t.test('tampering gives undefined or CorruptData', async (t) => {
  const { bytes } = await createKeyFile(generateMasterKey(), 'pw', { kdf: FAST });
  const data = (j: Record<string, unknown>): Buffer => Buffer.from(j['data'] as string, 'base64');
  const flipData = edit(bytes, (j) => {
    const d = data(j);
    d[30]! ^= 1;
    j['data'] = d.toString('base64');
  });
  t.equal(await openKeyFile(flipData, 'pw'), undefined);
  const otherSalt = edit(bytes, (j) => (j['salt'] = Buffer.alloc(32, 1).toString('base64')));
  t.equal(await openKeyFile(otherSalt, 'pw'), undefined);
  const otherN = edit(bytes, (j) => (j['N'] = 2048));
  t.equal(await openKeyFile(otherN, 'pw'), undefined);
  const shortData = edit(bytes, (j) => (j['data'] = data(j).subarray(0, 20).toString('base64')));
  t.equal(await openKeyFile(shortData, 'pw'), undefined);
  await t.rejects(openKeyFile(bytes.subarray(0, bytes.length - 2), 'pw'), { code: 'CorruptData' });
  await t.rejects(openKeyFile(new Uint8Array([0xff, 0xfe]), 'pw'), { code: 'CorruptData' });
  await t.rejects(openKeyFile(new TextEncoder().encode('[]'), 'pw'), { code: 'CorruptData' });
  await t.rejects(
    openKeyFile(
      edit(bytes, (j) => (j['N'] = 1000)),
      'pw',
    ),
    { code: 'CorruptData' },
  );
  await t.rejects(
    openKeyFile(
      edit(bytes, (j) => (j['N'] = 2 ** 30)),
      'pw',
    ),
    { code: 'CorruptData' },
  );
  await t.rejects(
    openKeyFile(
      edit(bytes, (j) => (j['salt'] = 'not base64!')),
      'pw',
    ),
    { code: 'CorruptData' },
  );
  await t.rejects(
    openKeyFile(
      edit(bytes, (j) => delete j['hostname']),
      'pw',
    ),
    { code: 'CorruptData' },
  );
  await t.rejects(
    openKeyFile(
      edit(bytes, (j) => (j['version'] = 2)),
      'pw',
    ),
    { code: 'Unsupported' },
  );
  t.throws(() => describeKeyFile(new TextEncoder().encode('{')), { code: 'CorruptData' });
});

t.test('default parameters and ROZEN_KDF_N', async (t) => {
  t.same(DEFAULT_KDF, { N: 32768, r: 8, p: 1 });
  t.same(defaultKdf({}), DEFAULT_KDF);
  t.same(defaultKdf({ ROZEN_KDF_N: '16' }), { N: 16, r: 8, p: 1 });
  t.throws(() => defaultKdf({ ROZEN_KDF_N: '1000' }), { code: 'InvalidArgument' });
  t.throws(() => defaultKdf({ ROZEN_KDF_N: 'x' }), { code: 'InvalidArgument' });
  await t.rejects(createKeyFile(generateMasterKey(), 'pw', { kdf: { N: 3, r: 8, p: 1 } }), { code: 'InvalidArgument' });
});

t.test('the default N is used and opens (real cost)', async (t) => {
  const saved = process.env['ROZEN_KDF_N'];
  delete process.env['ROZEN_KDF_N'];
  try {
    const { bytes } = await createKeyFile(generateMasterKey(), 'pw');
    t.equal(describeKeyFile(bytes).kdf.N, 32768);
    t.ok(await openKeyFile(bytes, 'pw'));
  } finally {
    if (saved !== undefined) process.env['ROZEN_KDF_N'] = saved;
  }
});
