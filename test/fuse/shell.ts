/** Runs shell tools against a mount served by this same process: always asynchronous, never throwing. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runBytes(cmd: string, args: readonly string[]): Promise<Buffer> {
  return (await promisify(execFile)(cmd, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })).stdout;
}

export const fuseSkipReason = (): string | false => (existsSync('/dev/fuse') ? false : '/dev/fuse is absent on this machine');

export const tempDir = (prefix: string): Promise<string> => mkdtemp(path.join(os.tmpdir(), prefix));
