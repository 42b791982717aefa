/** Hostile repositories on S3 (s3rver): the size-bound cases of cases.ts, damaged in the server's own files. */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Backend } from '../../src/backend/s3.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { CASES } from './cases.js';
import { buildBase, readTree, writeSource, writeTree } from './fixture.js';
import { COMMANDS, assertMatrix, cliEnv, commandsNamed, runDir, runMatrix, type Prepared } from './matrix.js';
import { EXPECTED, cpuSeconds, matrixTable } from './expected.js';

const s3 = await startS3rver();
t.teardown(() => s3.stop());
const root = await mkdtemp(join(tmpdir(), 'rozen-hostile-s3-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const src = join(root, 'src');
await writeSource(src);
const bucketDir = join(s3.directory, s3.bucket);
const backendAt = (prefix: string): S3Backend =>
  new S3Backend({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, env: {} });
const base = backendAt('base');
const layout = await buildBase(`s3://${s3.bucket}/base`, base, src, cliEnv(join(root, 'base-cache'), s3.env), join(root, 'base-work'));
await base.close();
const baseTree = await readTree(join(bucketDir, 'base'));

/** A copy of the base repository under its own prefix, made by copying the server's files. */
async function prepare(job: string): Promise<Prepared> {
  const d = await runDir(root, job);
  const prefix = `job-${job}`;
  await writeTree(baseTree, join(bucketDir, prefix));
  const backend = backendAt(prefix);
  return {
    place: { url: `s3://${s3.bucket}/${prefix}`, target: join(d.dir, 'target'), src },
    store: {
      file: (name) => `${join(bucketDir, prefix, name)}._S3rver_object`,
      create: (name, bytes) => backend.put(name, bytes),
      outside: d.outside,
    },
    env: cliEnv(join(d.dir, 'cache'), s3.env),
    cleanup: async () => {
      await backend.close();
      await rm(join(bucketDir, prefix), { recursive: true, force: true });
      await d.remove();
    },
  };
}

const cases = CASES.filter((c) => c.s3 !== undefined);
const started = Date.now();
const results = await runMatrix(cases, (c) => commandsNamed(c.s3), layout, prepare, root);
t.comment(
  `${cases.length} cases, ${COMMANDS.length} commands: ${results.length} runs in ${Date.now() - started} ms, ${cpuSeconds(results)} s of CPU`,
);
t.comment(matrixTable(results));
assertMatrix(t, results, EXPECTED.s3);
