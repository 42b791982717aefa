import t from 'tap';
import { S3Backend } from '../../src/backend/s3.js';

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

t.test('an http:// endpoint warns once per process, naming the endpoint without user info; https does not', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.message.startsWith('S3 endpoint')) warnings.push(w.message);
  };
  process.removeAllListeners('warning');
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  new S3Backend({ bucket: 'bucket', endpoint: 'https://s3.example.com', credentials });
  new S3Backend({ bucket: 'bucket', env: { AWS_ENDPOINT_URL: 'HTTP://user:secret@10.0.0.1:9000/path' }, credentials });
  new S3Backend({ bucket: 'bucket', endpoint: 'http://10.0.0.2:9000', credentials });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings.length, 1, warnings.join('\n'));
  t.match(warnings[0], /^S3 endpoint http:\/\/10\.0\.0\.1:9000 is plain http: .*use https:\/\/$/);
  t.notMatch(warnings[0], 'secret');
});
