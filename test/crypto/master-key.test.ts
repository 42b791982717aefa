import t from 'tap';
import { decodeMasterKey, encodeMasterKey, generateMasterKey } from '../../src/crypto/master-key.js';

t.test('encode/decode round trip, 64 bytes', async (t) => {
  const key = generateMasterKey();
  t.equal(key.encKey.length, 32);
  t.equal(key.idKey.length, 32);
  t.not(Buffer.from(key.encKey).toString('hex'), Buffer.from(key.idKey).toString('hex'));
  const bytes = encodeMasterKey(key);
  t.equal(bytes.length, 64);
  const back = decodeMasterKey(bytes);
  t.equal(Buffer.from(back.encKey).toString('hex'), Buffer.from(key.encKey).toString('hex'));
  t.equal(Buffer.from(back.idKey).toString('hex'), Buffer.from(key.idKey).toString('hex'));
});

t.test('injected randomness; encKey first', async (t) => {
  const key = generateMasterKey((n) => new Uint8Array(n).map((_, i) => i));
  t.equal(key.encKey[0], 0);
  t.equal(key.idKey[0], 32);
});

t.test('wrong length is CorruptData', async (t) => {
  t.throws(() => decodeMasterKey(new Uint8Array(63)), { code: 'CorruptData' });
});
