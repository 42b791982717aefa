/** The environment for system tools this process runs (fusermount, umount): without its passwords and credentials. */

/** Rozen's own settings (ROZEN_PASSWORD, ROZEN_PASSWORD_FILE, ...) and cloud credentials (AWS_*): no system tool needs them. */
const PRIVATE = /^(ROZEN_|AWS_)/i;

/** A copy of `env` without the variables a child process must not inherit. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !PRIVATE.test(name)));
}
