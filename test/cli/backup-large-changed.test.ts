/**
 * A large file changed between backups is read through reused buffers (a ring of 8 MiB) while
 * worker threads hash its chunks and only then seal the new ones: every chunk must be sealed
 * from its own bytes. Regression test (through the CLI, so real workers run) for chunks that
 * were sealed from a refilled buffer, found by check --read-data in the prune benchmark.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cliSandbox, rozen } from '../helpers/cli.js';
import { patternBytes } from '../helpers/bytes.js';

const MiB = 1024 * 1024;

t.test('a changed large file, longer than the ring of read buffers, backs up and restores exactly', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  mkdirSync(src);
  const file = join(src, 'big.bin');
  // Mostly zeros, like a disk image: its chunks are all of the maximum size (one read buffer each),
  // so the chunks in flight span more buffers than the ring holds.
  const original = Buffer.alloc(56 * MiB);
  original.set(patternBytes(MiB, 7), 40 * MiB);
  writeFileSync(file, original);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', '--quiet', repo, src], env)).code, 0);
  // New bytes near the start: their chunks are new, and many reads (refilling the ring) follow.
  const changed = Buffer.from(original);
  changed.set(patternBytes(64 * 1024, 8), MiB);
  changed.fill(1, 9 * MiB, 33 * MiB);
  writeFileSync(file, changed);
  t.equal((await rozen(['backup', '--quiet', repo, src], env)).code, 0);
  const check = await rozen(['check', '--read-data', repo], env);
  t.equal(check.code, 0, `check --read-data passes: ${check.stdout}${check.stderr}`);
  const target = join(dir, 'restored');
  t.equal((await rozen(['restore', '--quiet', repo, 'latest', '--target', target], env)).code, 0);
  t.ok(readFileSync(join(target, file)).equals(readFileSync(file)), 'the changed file restores byte for byte');
});

t.test('fresh large files one after another, their chunks cut across read buffers, back up and restore exactly', async (t) => {
  // Each file hands its ring of read buffers on to the next; chunks cut across two buffers are sealed from
  // their pieces in place. Random, repetitive and mostly-zero content, each longer than the ring.
  const { dir, env } = await cliSandbox(t);
  const src = join(dir, 'src');
  mkdirSync(src);
  const text = Buffer.from('a line of a log file that repeats with a counter: 0000000\n'.repeat(500_000)).subarray(0, 27 * MiB);
  const sparse = Buffer.alloc(30 * MiB);
  sparse.set(patternBytes(3 * MiB, 5), 12 * MiB + 333);
  const files = { 'a-random.bin': patternBytes(26 * MiB + 12345, 3), 'b-text.log': text, 'c-image.img': sparse };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(src, name), data);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  t.equal((await rozen(['backup', '--quiet', repo, src], env)).code, 0);
  const check = await rozen(['check', '--read-data', repo], env);
  t.equal(check.code, 0, `check --read-data passes: ${check.stdout}${check.stderr}`);
  const target = join(dir, 'restored');
  t.equal((await rozen(['restore', '--quiet', repo, 'latest', '--target', target], env)).code, 0);
  for (const [name, data] of Object.entries(files)) {
    t.ok(readFileSync(join(target, src, name)).equals(data), `${name} restores byte for byte`);
  }
});
