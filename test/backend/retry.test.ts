import t from 'tap';
import { backoffMs, withRetry } from '../../src/backend/retry.js';
import { isTransientS3Error, mapS3Error } from '../../src/backend/s3-error.js';
import { RozenError } from '../../src/core/errors.js';

t.test('retries transient failures, then gives up', async (t) => {
  let calls = 0;
  const policy = { attempts: 3, baseMs: 1, maxMs: 5, isRetryable: (e: unknown) => (e as Error).message === 'flaky' };
  t.equal(await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('flaky')) : 'ok'), policy), 'ok');
  t.equal(calls, 3);
  calls = 0;
  await t.rejects(
    withRetry(async () => {
      calls++;
      throw new Error('flaky');
    }, policy),
    { message: 'flaky' },
  );
  t.equal(calls, 3);
  calls = 0;
  await t.rejects(
    withRetry(async () => {
      calls++;
      throw new Error('fatal');
    }, policy),
    { message: 'fatal' },
  );
  t.equal(calls, 1);
});

t.test('backoff doubles and is capped, with jitter in [1/2, 1]', async (t) => {
  const p = { attempts: 9, baseMs: 100, maxMs: 1000, isRetryable: () => true };
  t.equal(backoffMs({ ...p, random: () => 1 }, 1), 100);
  t.equal(backoffMs({ ...p, random: () => 1 }, 3), 400);
  t.equal(backoffMs({ ...p, random: () => 1 }, 8), 1000);
  t.equal(backoffMs({ ...p, random: () => 0 }, 2), 100);
});

t.test('S3 error classification and mapping', async (t) => {
  const sdk = (name: string, status: number, message = 'msg'): Error =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  t.ok(isTransientS3Error(sdk('InternalError', 500)));
  t.ok(isTransientS3Error(sdk('SlowDown', 503)));
  t.ok(isTransientS3Error(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
  t.ok(isTransientS3Error(new Error('aborted')));
  t.notOk(isTransientS3Error(sdk('NoSuchKey', 404)));
  t.notOk(isTransientS3Error(sdk('AccessDenied', 403)));
  t.notOk(isTransientS3Error(new RozenError('CorruptData', 'short read')));
  t.equal(mapS3Error(sdk('NoSuchKey', 404), 'read', 's3://b/x', 'b').code, 'NotFound');
  const bucket = mapS3Error(sdk('NoSuchBucket', 404), 'read', 's3://b/x', 'b');
  t.equal(bucket.code, 'NotFound');
  t.equal(bucket.message, 'bucket "b" does not exist');
  const denied = mapS3Error(sdk('AccessDenied', 403), 'write', 's3://b/x', 'b');
  t.equal(denied.message, 'access denied: cannot write s3://b/x (AccessDenied)');
  const other = mapS3Error(sdk('WeirdError', 400, `first line\nsecond ${'x'.repeat(300)}`), 'read', 's3://b/x', 'b');
  t.equal(other.code, 'BackendError');
  t.equal(other.message, 'cannot read s3://b/x: WeirdError: first line');
});
