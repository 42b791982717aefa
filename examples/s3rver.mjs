// A local S3 server for the S3 example: prints its endpoint, serves until killed.
// Usage: node examples/s3rver.mjs DIR BUCKET
import { createRequire } from 'node:module';
const S3rver = createRequire(import.meta.url)('s3rver');
const [dir, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { address, port } = await server.run();
console.log(`http://${address}:${port}`);
