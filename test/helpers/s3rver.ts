/**
 * Starts a real local S3 server (s3rver) for tests.
 *
 * Usage:
 *   const s3 = await startS3rver();
 *   t.teardown(() => s3.stop());
 *   // either pass options to the backend directly ...
 *   new S3Backend({ bucket: s3.bucket, prefix: 'repo', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
 *   // ... or give a child process (the CLI) the standard variables:
 *   spawn('rozen', ['init', `s3://${s3.bucket}/repo`], { env: { ...process.env, ...s3.env } });
 *
 * Each call gets its own server on 127.0.0.1 with an OS-chosen port, its own temporary
 * directory and a fresh bucket; nothing global is changed. stop() closes open keep-alive
 * connections, stops the server and removes the directory; it is safe to call twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver is CommonJS without types.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

/** s3rver accepts exactly these credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:40123 */
  readonly endpoint: string;
  /** An existing, empty bucket. */
  readonly bucket: string;
  /** Variables a child process needs to reach this server through the SDK's usual chain. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'rozen-test'): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'rozen-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= shutdown(server, directory));
  return {
    endpoint,
    bucket,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    stop,
  };
}

async function shutdown(server: S3rverInstance, directory: string): Promise<void> {
  const closing = server.close();
  // SDK clients keep sockets alive; without this close() waits for them to time out.
  server.httpServer?.closeAllConnections();
  await closing.catch(() => undefined);
  await rm(directory, { recursive: true, force: true });
}
