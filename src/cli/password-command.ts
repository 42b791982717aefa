/** A password printed by a command (--password-command, ROZEN_PASSWORD_COMMAND): run through /bin/sh, never echoed. */
import { spawn } from 'node:child_process';
import { RozenError } from '../core/errors.js';
import { oneLine } from '../core/one-line.js';
import { KiB } from '../core/sizes.js';

/** More output than this is no password: the command is stopped rather than its output kept growing. */
const MAX_OUTPUT = 64 * KiB;

function failed(cmd: string, why: string): RozenError {
  return new RozenError('InvalidArgument', `password command "${oneLine(cmd)}" ${why}`);
}

/**
 * Runs `cmd` with /bin/sh -c and takes its standard output, less one trailing newline, as the password.
 * Its standard error goes to ours; a non-zero exit, a signal, no output or too much output is an error
 * naming the command and how it ended, never what it printed.
 */
export function passwordFromCommand(cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its stdin is empty: what rozen reads (backup --stdin) is not the command's to take.
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    let length = 0;
    const wipe = (): void => chunks.forEach((c) => c.fill(0));
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      length += d.length;
      if (length > MAX_OUTPUT) child.kill('SIGKILL');
    });
    child.on('error', (err) => reject(failed(cmd, `could not be run: ${err.message}`)));
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(chunks);
      wipe();
      const text = bytes.toString('utf8').replace(/\r?\n$/, '');
      bytes.fill(0);
      if (length > MAX_OUTPUT) reject(failed(cmd, `printed more than ${MAX_OUTPUT} bytes`));
      else if (signal !== null) reject(failed(cmd, `was killed by ${signal}`));
      else if (code !== 0) reject(failed(cmd, `failed with exit status ${String(code)}`));
      else if (text.length === 0) reject(failed(cmd, 'printed no password (exit status 0)'));
      else resolve(text);
    });
  });
}
