import t from 'tap';
import { extensionOf } from '../../src/codec/extension.js';

t.test('lower-cased last suffix of the base name', async (t) => {
  t.equal(extensionOf('photo.JPG'), 'jpg');
  t.equal(extensionOf('archive.tar.gz'), 'gz');
  t.equal(extensionOf('dir.d/README'), '');
  t.equal(extensionOf('.bashrc'), '');
  t.equal(extensionOf('a.'), '');
  t.equal(extensionOf('x.averyveryverylongsuffix'), '');
  t.equal(extensionOf(Buffer.from([0x66, 0xff, 0x2e, 0x54, 0x58, 0x54])), 'txt', 'raw byte names');
});
