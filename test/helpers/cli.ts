/** Runs the built CLI (dist/cli.cjs) as a child process, asynchronously, with a test's environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));

// The CLI runs dist/main.js and its modules, not the bundle: tap's coverage of these child processes
// maps each module to its src/ file, which it does not do through the bundle. test/cli/bundle.test.ts
// runs the bundle itself.
process.env['ROZEN_BUNDLE'] ??= '0';
// A repository named in the developer's environment would be put into every command line the tests run.
delete process.env['ROZEN_REPOSITORY'];
delete process.env['ROZEN_REPOSITORY_FILE'];

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliEnv {
  readonly env: Record<string, string>;
}

/** A temp dir and an environment with a password, a cheap KDF and a private cache dir. */
export async function cliSandbox(t: { teardown(fn: () => unknown): void }): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ROZEN_PASSWORD: 'correct horse',
    ROZEN_KDF_N: '1024',
    ROZEN_CACHE_DIR: join(dir, 'cache'),
  };
  delete env['ROZEN_PASSWORD_FILE'];
  return { dir, env };
}

export function startCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function rozen(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return collect(startCli(args, env));
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input` once its password prompt is
 * shown (typed earlier, it would be echoed by the terminal before the CLI turns echo off).
 */
export function onTty(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; stdout: string }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = collect(child);
  if (input !== '') {
    let shown = '';
    const onData = (d: Buffer): void => {
      shown += d.toString();
      if (!/enter password/.test(shown)) return;
      child.stdout.off('data', onData);
      child.stdin.write(input);
    };
    child.stdout.on('data', onData);
  }
  return done.then((r) => ({ code: r.code, stdout: r.stdout }));
}
