/** Creating restored files synchronously (a direct syscall costs far less than a thread-pool round trip per small file). */
import { constants, openSync, rmSync } from 'node:fs';

/** Create or truncate, never following a symlink planted at the path. */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** Creates (truncating) a regular file at `path`, replacing whatever else is there. */
export function createFileSync(path: Buffer): number {
  try {
    return openSync(path, CREATE, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'EISDIR' && code !== 'ETXTBSY') throw err;
    rmSync(path, { recursive: true, force: true });
    return openSync(path, CREATE, 0o600);
  }
}
