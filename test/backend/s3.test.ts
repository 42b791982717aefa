import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { UploadPartCopyCommandInput } from '@aws-sdk/client-s3';
import { S3Backend, resolveS3Config } from '../../src/backend/s3.js';
import type { S3BackendOptions } from '../../src/backend/s3.js';
import { S3_PART_LIMITS } from '../../src/backend/copy-plan.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { listAll, patternBytes, runConformance, sameBytes } from './conformance.js';
import { startDroppingProxy } from './dropping-proxy.js';

const MiB = 1024 * 1024;
const s3 = await startS3rver();
t.teardown(() => s3.stop());

let counter = 0;
const backends: S3Backend[] = [];
function make(extra: Partial<S3BackendOptions> = {}): S3Backend {
  const b = new S3Backend({
    bucket: s3.bucket,
    prefix: `t${++counter}`,
    endpoint: s3.endpoint,
    credentials: S3RVER_CREDENTIALS,
    env: {},
    ...extra,
  });
  backends.push(b);
  return b;
}
t.teardown(async () => {
  for (const b of backends) await b.close();
});

runConformance(t, async () => make());

t.test('configuration from options and environment', async (t) => {
  const fromEnv = resolveS3Config({ bucket: 'b', env: { AWS_ENDPOINT_URL_S3: 'http://s3.local:9000', AWS_REGION: 'eu-west-3' } });
  t.equal(fromEnv.endpoint, 'http://s3.local:9000');
  t.equal(fromEnv.forcePathStyle, true);
  t.equal(fromEnv.region, 'eu-west-3');
  const generic = resolveS3Config({ bucket: 'b', env: { AWS_ENDPOINT_URL: 'http://x:1', AWS_DEFAULT_REGION: 'ap-south-1' } });
  t.equal(generic.endpoint, 'http://x:1');
  t.equal(generic.region, 'ap-south-1');
  const aws = resolveS3Config({ bucket: 'b', env: {} });
  t.equal(aws.endpoint, undefined);
  t.equal(aws.forcePathStyle, false);
  t.equal(aws.region, 'us-east-1');
  t.equal(aws.credentials, undefined, 'the SDK default chain is used');
  const explicit = resolveS3Config({
    bucket: 'b',
    endpoint: 'http://e:2',
    forcePathStyle: false,
    region: 'r',
    env: { AWS_ENDPOINT_URL_S3: 'http://other' },
  });
  t.equal(explicit.endpoint, 'http://e:2');
  t.equal(explicit.forcePathStyle, false);
  t.equal(explicit.region, 'r');
});

t.test('environment variables alone reach the server', async (t) => {
  const saved = { ...process.env };
  Object.assign(process.env, s3.env);
  t.teardown(() => {
    for (const k of Object.keys(s3.env)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  const b = new S3Backend({ bucket: s3.bucket, prefix: 'envonly' });
  backends.push(b);
  await b.put('config', new Uint8Array([1, 2, 3]));
  t.equal((await b.stat('config'))?.size, 3);
  t.equal(b.location, `s3://${s3.bucket}/envonly`);
});

t.test('prefixes isolate repositories in one bucket', async (t) => {
  const a = make({ prefix: 'iso/a/' });
  const b = make({ prefix: 'iso/ab' });
  await a.put('config', new Uint8Array(1));
  await b.put('config', new Uint8Array(2));
  t.same(
    (await listAll(a, '')).map((i) => [i.name, i.size]),
    [['config', 1]],
  );
  t.same(
    (await listAll(b, '')).map((i) => [i.name, i.size]),
    [['config', 2]],
  );
  t.equal(a.location, `s3://${s3.bucket}/iso/a`);
});

t.test('list follows continuation tokens', async (t) => {
  const b = make();
  let pages = 0;
  b.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ListObjectsV2Command') {
        pages += 1;
        (args.input as { MaxKeys?: number }).MaxKeys = 2;
      }
      return next(args);
    },
    { step: 'initialize', name: 'smallPages' },
  );
  for (let i = 0; i < 7; i++) await b.put(`index/${i}`, new Uint8Array(i));
  t.same(
    (await listAll(b, 'index/')).map((i) => i.size),
    [0, 1, 2, 3, 4, 5, 6],
  );
  t.equal(pages, 4);
});

t.test('a missing bucket is NotFound naming the bucket', async (t) => {
  const b = make({ bucket: 'no-such-bucket-here' });
  await t.rejects(b.get('config'), { code: 'NotFound', message: /bucket "no-such-bucket-here"/ });
  // HEAD answers carry no error code, so a missing bucket looks like a missing object there.
  t.equal(await b.stat('config'), undefined);
  await t.rejects(b.put('config', new Uint8Array(1)), { code: 'NotFound' });
});

t.test('errors are one line and never carry the secret', async (t) => {
  const secret = 'VERY-SECRET-VALUE-123';
  const b = make({ credentials: { accessKeyId: 'UNKNOWN-KEY', secretAccessKey: secret }, maxAttempts: 1 });
  const err = (await b.put('x', new Uint8Array(1)).catch((e: unknown) => e)) as Error & { code: string };
  t.equal(err.code, 'BackendError');
  t.notMatch(err.message, /\n/);
  t.notMatch(err.message, secret);
  t.match(err.message, /s3:\/\/rozen-test\/t\d+\/x/);
});

t.test('a server that is gone is a BackendError after retries', async (t) => {
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const port = (gone.address() as AddressInfo).port;
  await new Promise((resolve) => gone.close(resolve));
  const b = make({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2, readRetry: { attempts: 2, baseMs: 1 } });
  await t.rejects(b.get('x'), { code: 'BackendError', message: /ECONNREFUSED|connect/ });
});

t.test('a connection dropped mid-get is retried', async (t) => {
  const proxy = await startDroppingProxy(s3.endpoint);
  t.teardown(() => proxy.close());
  const b = make({ endpoint: proxy.endpoint, readRetry: { baseMs: 5 } });
  const data = patternBytes(3 * MiB, 3);
  await b.put('packs/p', data);
  proxy.drop(1);
  sameBytes(t, await b.get('packs/p'), data);
  proxy.drop(2);
  sameBytes(t, await b.get('packs/p', { offset: MiB, length: MiB }), data.subarray(MiB, 2 * MiB));
  t.equal(proxy.dropped(), 3);
  proxy.drop(100);
  await t.rejects(b.get('packs/p'), { code: 'BackendError' }, 'gives up after its attempts');
});

const copyCase = {
  source: patternBytes(20 * MiB, 9),
  // A 6 MiB run is copied (part 1); the 1000-byte range plus the head of the merged 7..20 MiB run
  // fill an uploaded 5 MiB part (2); the rest of that run, ≥ 5 MiB, is copied (part 3).
  ranges: [
    { offset: 0, length: 6 * MiB },
    { offset: 6 * MiB + 100, length: 1000 },
    { offset: 7 * MiB, length: MiB },
    { offset: 8 * MiB, length: 12 * MiB },
  ],
};
const expected = (): Uint8Array => Buffer.concat(copyCase.ranges.map((r) => copyCase.source.subarray(r.offset, r.offset + r.length)));

t.test('copyRange falls back to GET + upload where UploadPartCopy is not implemented', async (t) => {
  const b = make();
  await b.put('packs/src', copyCase.source);
  const seen: string[] = [];
  b.client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  await b.copyRange('packs/src', copyCase.ranges, 'packs/dst');
  t.ok(seen.includes('UploadPartCopyCommand'), 'tried a server-side copy first');
  t.ok(seen.includes('AbortMultipartUploadCommand'), 'aborted the refused upload');
  sameBytes(t, await b.get('packs/dst'), expected());
});

t.test('copyRange sends UploadPartCopy parts of at least 5 MiB', async (t) => {
  const b = make();
  await b.put('packs/src', copyCase.source);
  const copies: UploadPartCopyCommandInput[] = [];
  const uploads: number[] = [];
  // Emulates a server with UploadPartCopy at the SDK boundary: records the request and performs it
  // as a ranged GET plus UploadPart against s3rver, so the multipart upload completes for real.
  b.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') {
        uploads.push((args.input as { PartNumber: number }).PartNumber);
      }
      if (context.commandName !== 'UploadPartCopyCommand') return next(args);
      const input = args.input as UploadPartCopyCommandInput;
      copies.push(input);
      const key = decodeURIComponent((input.CopySource ?? '').slice(`${s3.bucket}/`.length));
      const got = await b.client.send(new GetObjectCommand({ Bucket: input.Bucket, Key: key, Range: input.CopySourceRange }));
      const body = await got.Body!.transformToByteArray();
      const part = await b.client.send(
        new UploadPartCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: input.UploadId, PartNumber: input.PartNumber, Body: body }),
      );
      return { output: { CopyPartResult: { ETag: part.ETag }, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'emulateUploadPartCopy' },
  );
  await b.copyRange('packs/src', copyCase.ranges, 'packs/dst');
  t.same(
    copies.map((c) => [c.PartNumber, c.CopySourceRange, c.CopySource]),
    [
      [1, `bytes=0-${6 * MiB - 1}`, `${s3.bucket}/${b.location.split('/').pop()}/packs/src`],
      [3, `bytes=${7 * MiB + (S3_PART_LIMITS.minPart - 1000)}-${20 * MiB - 1}`, `${s3.bucket}/${b.location.split('/').pop()}/packs/src`],
    ],
  );
  t.same(
    uploads.filter((n) => n === 2),
    [2],
    'the gathered small ranges went up as part 2',
  );
  sameBytes(t, await b.get('packs/dst'), expected());
});

t.test('copyRange of small ranges is a plain upload', async (t) => {
  const b = make();
  await b.put('s', patternBytes(1000, 1));
  await b.copyRange(
    's',
    [
      { offset: 10, length: 5 },
      { offset: 500, length: 20 },
    ],
    'd',
  );
  sameBytes(t, await b.get('d'), Buffer.concat([patternBytes(1000, 1).subarray(10, 15), patternBytes(1000, 1).subarray(500, 520)]));
  await b.copyRange('s', [], 'empty');
  t.equal((await b.stat('empty'))?.size, 0);
  await t.rejects(b.copyRange('missing', [{ offset: 0, length: 1 }], 'x'), { code: 'NotFound' });
});
