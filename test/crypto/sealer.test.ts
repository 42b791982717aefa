import t from 'tap';
import { AAD, Sealer } from '../../src/crypto/sealer.js';

t.test('AAD constants are the ASCII strings of FORMAT §3', async (t) => {
  const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
  t.equal(text(AAD.packHeader), 'rozen:pack-header');
  t.equal(text(AAD.config), 'rozen:config');
  t.equal(text(AAD.index), 'rozen:index');
  t.equal(text(AAD.snapshot), 'rozen:snapshot');
  t.equal(text(AAD.lock), 'rozen:lock');
  t.equal(text(AAD.key), 'rozen:key');
});

t.test('seal/open round trip; aad binds the object kind', async (t) => {
  const sealer = new Sealer(new Uint8Array(32).fill(9));
  const plain = new TextEncoder().encode('config body');
  const sealed = sealer.seal(plain, AAD.config);
  t.equal(Buffer.from(sealer.open(sealed, AAD.config)).toString(), 'config body');
  t.throws(() => sealer.open(sealed, AAD.index), { code: 'CorruptData' });
  t.throws(() => new Sealer(new Uint8Array(32)).open(sealed, AAD.config), { code: 'CorruptData' });
});

t.test('keeps its own copy of the key', async (t) => {
  const key = new Uint8Array(32).fill(1);
  const sealer = new Sealer(key);
  const sealed = sealer.seal(new Uint8Array(3), AAD.lock);
  key.fill(0);
  t.equal(sealer.open(sealed, AAD.lock).length, 3);
});
