/** Classifies S3 SDK errors (transient or not) and maps them to RozenErrors with one line of text. */
import { RozenError, notFound } from '../core/errors.js';
import { errnoCode } from './fs-error.js';

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalError',
  'ServiceUnavailable',
  'ShortBody',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);

const shape = (err: unknown): SdkErrorShape => (typeof err === 'object' && err !== null ? err : {});
export const httpStatus = (err: unknown): number | undefined => shape(err).$metadata?.httpStatusCode;
export const errorName = (err: unknown): string => shape(err).name ?? '';

export function isTransientS3Error(err: unknown): boolean {
  if (err instanceof RozenError) return false;
  const e = shape(err);
  if (e.$retryable !== undefined || TRANSIENT_NAMES.has(e.name ?? '')) return true;
  const code = errnoCode(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const status = httpStatus(err);
  if (status !== undefined && TRANSIENT_STATUS.has(status)) return true;
  return /aborted|socket hang up|premature close/i.test(e.message ?? '');
}

export const isNotImplemented = (err: unknown): boolean => errorName(err) === 'NotImplemented' || httpStatus(err) === 501;

/** `what` names the object (s3://bucket/key); credentials never appear in SDK messages we copy. */
export function mapS3Error(err: unknown, op: string, what: string, bucket: string): RozenError {
  if (err instanceof RozenError) return err;
  const name = errorName(err);
  if (name === 'NoSuchBucket') return new RozenError('NotFound', `bucket "${bucket}" does not exist`, { cause: err });
  if (name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404) return notFound(what, err);
  if (name === 'AccessDenied' || httpStatus(err) === 403) {
    return new RozenError('BackendError', `access denied: cannot ${op} ${what} (${name || 'HTTP 403'})`, { cause: err });
  }
  return new RozenError('BackendError', `cannot ${op} ${what}: ${describe(err)}`, { cause: err });
}

function describe(err: unknown): string {
  const e = shape(err);
  const text = (e.message ?? String(err)).split('\n')[0] ?? '';
  const label = e.name !== undefined && e.name !== 'Error' && !text.startsWith(e.name) ? `${e.name}: ` : '';
  const line = `${label}${text}`;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
