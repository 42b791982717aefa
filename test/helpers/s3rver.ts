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
 * Each call runs its own server in a child Node process on 127.0.0.1 with an OS-chosen port,
 * its own temporary directory and a fresh bucket; nothing in the calling process is changed.
 * The child runs with --openssl-legacy-provider because s3rver encrypts ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 refuses otherwise (any listing of more than
 * 1000 keys would fail with InternalError). The child is unref'd and exits when the test
 * process goes away, so a forgotten stop() neither hangs the test nor leaks a server;
 * stop() is still the right way to end it (it also removes the directory) and is idempotent.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** s3rver accepts exactly these credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:40123 */
  readonly endpoint: string;
  /** An existing, empty bucket. */
  readonly bucket: string;
  /** The server's storage: object `key` of the bucket is the file `<directory>/<bucket>/<key>._S3rver_object`. */
  readonly directory: string;
  /** Variables a child process needs to reach this server through the SDK's usual chain. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

// Runs in the child (CommonJS, via -e): start, print the port, stop on SIGTERM or when stdin closes.
const CHILD_SCRIPT = `
const [modulePath, directory, bucket] = process.argv.slice(1);
const S3rver = require(modulePath);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory,
  configureBuckets: [{ name: bucket, configs: [] }] });
const stop = () => { server.httpServer?.closeAllConnections(); server.close().finally(() => process.exit(0)); };
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err) + '\\n'); process.exit(1); });
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
`;

const S3RVER_MAIN = createRequire(import.meta.url).resolve('s3rver');
const START_TIMEOUT_MS = 20_000;

export async function startS3rver(bucket = 'rozen-test'): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'rozen-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, S3RVER_MAIN, directory, bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let port: number;
  try {
    port = await readPort(child);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  unrefChild(child);
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    directory,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    stop: () => (stopped ??= shutdown(child, directory)),
  };
}

async function readPort(child: ChildProcess): Promise<number> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  try {
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => Promise.reject(new Error(`s3rver exited before listening: ${stderr.trim()}`))),
    ])) as [string];
    return (JSON.parse(line) as { port: number }).port;
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

async function shutdown(child: ChildProcess, directory: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(directory, { recursive: true, force: true });
}
