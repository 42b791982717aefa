/** Backend over an S3-compatible bucket (@aws-sdk/client-s3; multipart streaming via @aws-sdk/lib-storage). */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RozenError, notFound } from '../core/errors.js';
import type { ByteRange } from '../core/types.js';
import type { Backend, ObjectInfo, PutSource } from './backend.js';
import { concatBytes, isPieces } from './collect.js';
import { planCopyParts, withTail } from './copy-plan.js';
import type { PlannedPart } from './copy-plan.js';
import { checkName, checkRange, shortRead } from './names.js';
import { warnIfPlainHttp } from './plain-http.js';
import { withRetry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { errorName, isNotImplemented, isTransientS3Error, mapS3Error } from './s3-error.js';
import { MiB } from '../core/sizes.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3BackendOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket ('' or e.g. "backups/laptop"); a trailing '/' is implied. */
  readonly prefix?: string;
  /** Defaults to AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL; a custom endpoint implies path-style. */
  readonly endpoint?: string;
  /** Defaults to AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Defaults to the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, ...). */
  readonly credentials?: S3Credentials;
  /** SDK tries per request (default 5). */
  readonly maxAttempts?: number;
  /** Retry policy around whole reads, which also covers a connection dropped mid-body. */
  readonly readRetry?: Partial<RetryPolicy>;
  /** Environment to read defaults from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Upload part size of streamed puts: above the S3 minimum of 5 MiB; at most queueSize+1 parts are held. */
export const STREAM_PART_SIZE = 8 * MiB;
const STREAM_QUEUE_SIZE = 2;
/** Largest slice read at once when a copy falls back to GET + upload. */
const FALLBACK_READ_SIZE = 8 * MiB;

/** The SDK configuration the options and environment stand for. */
export function resolveS3Config(options: S3BackendOptions): S3ClientConfig {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  return {
    region,
    ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? (endpoint !== undefined && endpoint !== ''),
    maxAttempts: options.maxAttempts ?? 5,
    // Third-party S3 servers often reject the SDK's default trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
  };
}

export class S3Backend implements Backend {
  readonly location: string;
  readonly bucket: string;
  /** The SDK client, exposed so tests can add middleware at the SDK boundary. */
  readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly readRetry: RetryPolicy;

  constructor(options: S3BackendOptions) {
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.keyPrefix = prefix === '' ? '' : `${prefix}/`;
    this.location = `s3://${this.bucket}${prefix === '' ? '' : `/${prefix}`}`;
    const config = resolveS3Config(options);
    warnIfPlainHttp(typeof config.endpoint === 'string' ? config.endpoint : undefined);
    this.client = new S3Client(config);
    this.readRetry = { attempts: 4, baseMs: 200, maxMs: 5_000, isRetryable: isTransientS3Error, ...options.readRetry };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const out = await this.call('list', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix + prefix, ContinuationToken: token })),
      );
      for (const obj of out.Contents ?? []) {
        if (obj.Key === undefined || !obj.Key.startsWith(this.keyPrefix)) continue;
        yield { name: obj.Key.slice(this.keyPrefix.length), size: obj.Size ?? 0, mtimeMs: obj.LastModified?.getTime() ?? 0 };
      }
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    const key = this.key(name);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { name, size: out.ContentLength ?? 0, mtimeMs: out.LastModified?.getTime() ?? 0 };
    } catch (err) {
      const mapped = mapS3Error(err, 'stat', this.what(name), this.bucket);
      if (mapped.code === 'NotFound' && errorName(err) !== 'NoSuchBucket') return undefined;
      throw mapped;
    }
  }

  async get(name: string, range?: ByteRange): Promise<Uint8Array> {
    const key = this.key(name);
    if (range !== undefined && checkRange(range).length === 0) return this.emptyRange(name, range);
    return this.call('read', name, () => withRetry(() => this.getOnce(key, name, range), this.readRetry));
  }

  async put(name: string, put: PutSource): Promise<void> {
    const key = this.key(name);
    // Pieces are joined: a PutObject body is one buffer.
    const source = isPieces(put) ? concatBytes(put) : put;
    if (source instanceof Uint8Array) {
      await this.call('write', name, () =>
        this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: source, ContentLength: source.byteLength })),
      );
      return;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(source) },
      partSize: STREAM_PART_SIZE,
      queueSize: STREAM_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await this.call('write', name, () => upload.done());
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.copySource(from);
    const key = this.key(to);
    if (from === to) {
      if ((await this.stat(from)) === undefined) throw notFound(this.what(from));
      return;
    }
    await this.call('rename', from, () => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: source })));
    await this.delete(from);
  }

  async delete(name: string): Promise<void> {
    const key = this.key(name);
    await this.call('delete', name, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Writes `to` as the concatenation of `ranges` of `from` followed by `tail`, copying on the
   * server with UploadPartCopy where parts allow, and falling back to GET + upload on servers without it.
   */
  async copyRange(from: string, ranges: readonly ByteRange[], to: string, tail?: Uint8Array): Promise<void> {
    ranges.forEach(checkRange);
    checkName(to);
    const plan = withTail(planCopyParts(ranges), tail);
    const fallback = (): Promise<void> => this.put(to, this.readRanges(from, ranges, tail));
    if (!plan.some((p) => p.kind === 'copy')) return fallback();
    try {
      await this.multipartCopy(from, plan, to);
    } catch (err) {
      if (!isNotImplemented(err)) throw mapS3Error(err, 'copy to', this.what(to), this.bucket);
      await fallback();
    }
  }

  private async multipartCopy(from: string, plan: readonly PlannedPart[], to: string): Promise<void> {
    const target = { Bucket: this.bucket, Key: this.key(to) };
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(target));
    if (UploadId === undefined) throw new RozenError('BackendError', `no upload id for ${this.what(to)}`);
    try {
      const parts: CompletedPart[] = [];
      for (const [i, part] of plan.entries()) {
        parts.push({ PartNumber: i + 1, ETag: await this.sendPart(from, part, { ...target, UploadId, PartNumber: i + 1 }) });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  private async sendPart(
    from: string,
    part: PlannedPart,
    target: { Bucket: string; Key: string; UploadId: string; PartNumber: number },
  ): Promise<string | undefined> {
    if (part.kind === 'copy') {
      const { offset, length } = part.range;
      const out = await this.client.send(
        new UploadPartCopyCommand({
          ...target,
          CopySource: this.copySource(from),
          CopySourceRange: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      return out.CopyPartResult?.ETag;
    }
    const body = concatBytes([...(await Promise.all(part.pieces.map((r) => this.get(from, r)))), ...(part.extra ? [part.extra] : [])]);
    const out = await this.client.send(new UploadPartCommand({ ...target, Body: body, ContentLength: body.byteLength }));
    return out.ETag;
  }

  private async *readRanges(from: string, ranges: readonly ByteRange[], tail?: Uint8Array): AsyncGenerator<Uint8Array> {
    for (const { offset, length } of ranges) {
      for (let at = 0; at < length; at += FALLBACK_READ_SIZE) {
        yield await this.get(from, { offset: offset + at, length: Math.min(FALLBACK_READ_SIZE, length - at) });
      }
    }
    if (tail && tail.length > 0) yield tail;
  }

  private async getOnce(key: string, name: string, range: ByteRange | undefined): Promise<Uint8Array> {
    const rangeHeader = range === undefined ? {} : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` };
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...rangeHeader }));
    } catch (err) {
      if (range !== undefined && errorName(err) === 'InvalidRange') throw shortRead(name, range, 0);
      throw err;
    }
    if (out.Body === undefined) throw new RozenError('BackendError', `empty response for ${this.what(name)}`);
    if (range !== undefined && out.ContentLength !== undefined && out.ContentLength !== range.length) {
      // A server that ignores the range may send the whole object: it is not read into memory.
      (out.Body as { destroy?: () => void }).destroy?.();
      throw shortRead(name, range, out.ContentLength);
    }
    const bytes = await out.Body.transformToByteArray();
    if (out.ContentLength !== undefined && bytes.byteLength !== out.ContentLength) {
      throw Object.assign(new Error(`body ended after ${bytes.byteLength} of ${out.ContentLength} bytes`), { name: 'ShortBody' });
    }
    if (range !== undefined && bytes.byteLength !== range.length) throw shortRead(name, range, bytes.byteLength);
    return bytes;
  }

  private async emptyRange(name: string, range: ByteRange): Promise<Uint8Array> {
    const info = await this.stat(name);
    if (info === undefined) throw notFound(this.what(name));
    if (range.offset > info.size) throw shortRead(name, range, 0);
    return new Uint8Array(0);
  }

  private async call<T>(op: string, name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapS3Error(err, op, this.what(name), this.bucket);
    }
  }

  private key(name: string): string {
    return this.keyPrefix + checkName(name);
  }

  private copySource(name: string): string {
    return `${this.bucket}/${this.key(name).split('/').map(encodeURIComponent).join('/')}`;
  }

  private what(name: string): string {
    return `${this.location}/${name}`;
  }
}
