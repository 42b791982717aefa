/** Runs the built CLI with a time limit and its peak memory measured (GNU time), killing it when it overruns. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { CLI } from '../helpers/cli.js';

const GNU_TIME = '/usr/bin/time';
export const HAS_GNU_TIME = existsSync(GNU_TIME);
/**
 * tap puts its process-info hook into NODE_OPTIONS of every child it sees spawned; it costs each CLI start about
 * 0.6 s of CPU (three times the run) and collects nothing from the bundle, so env(1) takes it out again.
 */
const WITHOUT_TAP_HOOK = ['/usr/bin/env', '-u', 'NODE_OPTIONS'];

export interface LimitedRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Peak resident set in KiB and CPU seconds (user + system), when GNU time is installed. */
  readonly peakKiB: number | undefined;
  readonly cpuSeconds: number | undefined;
  readonly timedOut: boolean;
}

/**
 * `rozen args` in its own process group, killed (the group) after `timeoutMs`. The peak RSS comes from
 * `/usr/bin/time -f %M`, written to `memFile`; without GNU time the heap is capped instead, so a blow-up
 * still ends the run (as a failure the caller sees in its exit code).
 */
export async function runLimited(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
  memFile: string,
): Promise<LimitedRun> {
  const node = [process.execPath, ...(HAS_GNU_TIME ? [] : ['--max-old-space-size=256']), CLI, ...args];
  const argv = [...WITHOUT_TAP_HOOK, ...(HAS_GNU_TIME ? [GNU_TIME, '-f', '%M %U %S', '-o', memFile] : []), ...node];
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr, ms: Date.now() - started, ...(await usageOf(memFile)), timedOut };
}

async function usageOf(memFile: string): Promise<{ peakKiB: number | undefined; cpuSeconds: number | undefined }> {
  const text = HAS_GNU_TIME ? await readFile(memFile, 'utf8').catch(() => '') : '';
  await rm(memFile, { force: true });
  // GNU time writes "Command exited with non-zero status N" before the figures when the command fails.
  const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(text.trim().split('\n').at(-1) ?? '');
  return m ? { peakKiB: Number(m[1]), cpuSeconds: Number(m[2]) + Number(m[3]) } : { peakKiB: undefined, cpuSeconds: undefined };
}
