import t from 'tap';
import { randomBytes } from 'node:crypto';
import { CompressionPolicy } from '../../src/codec/policy.js';

t.test('auto mode compresses zero-heavy samples even of a kind judged incompressible', async (t) => {
  const policy = new CompressionPolicy('auto');
  for (let i = 0; i < 8; i++) {
    const data = randomBytes(256 * 1024);
    t.equal(policy.decide('img', data.subarray(0, 65536)), false, 'random: raw');
    policy.record('img', data.length, data.length + 1);
  }
  const mixed = Buffer.concat([randomBytes(32 * 1024), Buffer.alloc(32 * 1024)]);
  t.equal(policy.decide('img', mixed), 3, 'half zeros: compressed');
  t.equal(new CompressionPolicy('off').decide('img', Buffer.alloc(65536)), false, 'off stays off');
  t.equal(new CompressionPolicy('off').tryLevel, false, 'off: no level for small files of zeros either');
  t.equal(new CompressionPolicy('auto').tryLevel, 3);
});
