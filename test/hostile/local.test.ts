/** Hostile repositories on a local directory: each case of cases.ts × the commands it names (matrix.ts). */
import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalBackend } from '../../src/backend/local.js';
import { CASES } from './cases.js';
import { buildBase, readTree, writeSource, writeTree } from './fixture.js';
import { COMMANDS, assertMatrix, cliEnv, commandsNamed, runDir, runMatrix, type Prepared } from './matrix.js';
import { EXPECTED, cpuSeconds, matrixTable } from './expected.js';

const root = await mkdtemp(join(tmpdir(), 'rozen-hostile-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const src = join(root, 'src');
await writeSource(src);
const base = join(root, 'base');
const layout = await buildBase(base, new LocalBackend(base), src, cliEnv(join(root, 'base-cache')), join(root, 'base-work'));
const baseTree = await readTree(base);

async function prepare(job: string): Promise<Prepared> {
  const d = await runDir(root, job);
  const repo = join(d.dir, 'repo');
  await writeTree(baseTree, repo);
  const file = (name: string): string => join(repo, ...name.split('/'));
  return {
    place: { url: repo, target: join(d.dir, 'target'), src },
    store: {
      file,
      create: async (name, bytes) => {
        await mkdir(dirname(file(name)), { recursive: true });
        await writeFile(file(name), bytes);
      },
      outside: d.outside,
    },
    env: cliEnv(join(d.dir, 'cache')),
    cleanup: d.remove,
  };
}

const started = Date.now();
const results = await runMatrix(CASES, (c) => commandsNamed(c.commands), layout, prepare, root);
t.comment(
  `${CASES.length} cases, ${COMMANDS.length} commands: ${results.length} runs in ${Date.now() - started} ms, ${cpuSeconds(results)} s of CPU`,
);
t.comment(matrixTable(results));
assertMatrix(t, results, EXPECTED.local);
