/** Turning any error into one clear line and an exit code (a stack trace only with --debug). */
import { isRozenError } from '../core/errors.js';

export function describeError(err: unknown): { line: string; exitCode: number } {
  if (isRozenError(err)) return { line: err.message, exitCode: err.exitCode };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code.startsWith('commander.')) {
    return { line: e.message, exitCode: 2 };
  }
  if (e && e.code === 'ENOSPC') return { line: 'no space left on device', exitCode: 1 };
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    return { line: `${e.path}: ${e.code}`, exitCode: 1 };
  }
  return { line: `unexpected error: ${e instanceof Error ? e.message : String(err)}`, exitCode: 1 };
}

export function isDebug(): boolean {
  return process.argv.includes('--debug') || process.env['ROZEN_DEBUG'] === '1';
}

export function reportFatal(err: unknown): number {
  const { line, exitCode } = describeError(err);
  process.stderr.write(`rozen: ${line.split('\n')[0]}\n`);
  if (isDebug() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCode;
}
