/** Maps Node filesystem errors to RozenErrors with one clear line of text. */
import type { Stats } from 'node:fs';
import { RozenError, notFound } from '../core/errors.js';

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const isMissing = (err: unknown): boolean => {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
};

export function mapFsError(err: unknown, op: string, path: string): RozenError {
  if (err instanceof RozenError) return err;
  const code = errnoCode(err);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return notFound(path, err);
    case 'ENOSPC':
    case 'EDQUOT':
      return new RozenError('NoSpace', `no space left on device while writing ${path}`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new RozenError('BackendError', `permission denied: cannot ${op} ${path} (${code})`, { cause: err });
    default: {
      const text = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return new RozenError('BackendError', `cannot ${op} ${path}: ${text}`, { cause: err });
    }
  }
}

/** A link or special file where the repository layout puts a directory or an object: an error naming it, never followed. */
export function foreignEntry(path: string, s: Stats): RozenError {
  if (s.isSymbolicLink()) return new RozenError('CorruptData', `${path} is a symbolic link; Rozen never follows links inside a repository`);
  return new RozenError('CorruptData', `${path} is a special file, not a directory or object of the repository`);
}
