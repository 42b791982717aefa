/**
 * Where a password comes from. The repository's: --password-command or --password-file, else ROZEN_PASSWORD_COMMAND,
 * ROZEN_PASSWORD, ROZEN_PASSWORD_FILE, else a TTY prompt. A copy's source repository's: the same with --from-* and
 * ROZEN_FROM_*.
 */
import { readFile } from 'node:fs/promises';
import { RozenError, invalidArgument } from '../core/errors.js';
import { passwordFromCommand } from './password-command.js';

export interface PasswordSource {
  readonly passwordFile?: string | undefined;
  readonly passwordCommand?: string | undefined;
}

interface PasswordEnv {
  readonly password: string | undefined;
  readonly file: string | undefined;
  readonly command: string | undefined;
}

type Prefix = 'ROZEN_' | 'ROZEN_FROM_';

/** The password variables of both prefixes, taken out of the environment at first use so no child process inherits them. */
let fromEnv: Record<Prefix, PasswordEnv> | undefined;

function passwordEnv(prefix: Prefix = 'ROZEN_'): PasswordEnv {
  if (fromEnv === undefined) {
    const take = (name: string): string | undefined => {
      const v = process.env[name];
      delete process.env[name];
      return v;
    };
    const of = (p: Prefix): PasswordEnv => ({
      password: take(`${p}PASSWORD`),
      file: take(`${p}PASSWORD_FILE`),
      command: take(`${p}PASSWORD_COMMAND`),
    });
    fromEnv = { ROZEN_: of('ROZEN_'), ROZEN_FROM_: of('ROZEN_FROM_') };
  }
  return fromEnv[prefix];
}

async function fromFile(path: string): Promise<string> {
  try {
    const bytes = await readFile(path);
    const text = bytes.toString('utf8');
    bytes.fill(0);
    return text.replace(/\r?\n$/, '');
  } catch (err) {
    throw new RozenError('InvalidArgument', `cannot read password file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Read a line from the terminal without echoing it. */
const NO_PASSWORD =
  'no password given: set ROZEN_PASSWORD, ROZEN_PASSWORD_FILE or ROZEN_PASSWORD_COMMAND, or use --password-file or --password-command';

export async function promptHidden(question: string, none = NO_PASSWORD): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new RozenError('InvalidArgument', none);
  // Echo goes off before the prompt shows: what is typed as soon as it appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  let line = '';
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      const typed = chunk.toString('utf8');
      chunk.fill(0);
      for (const ch of typed) {
        if (ch === '\r' || ch === '\n') return line;
        if (ch === '\u0003') throw new RozenError('Interrupted', 'interrupted');
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    }
    return line;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Options on the command line first (a command and a file together are refused), then the environment, then a prompt. */
async function resolvePassword(src: PasswordSource, env: PasswordEnv, flags: string, prompt: string, none: string): Promise<string> {
  if (src.passwordFile && src.passwordCommand) throw invalidArgument(`${flags} are mutually exclusive`);
  if (src.passwordCommand) return passwordFromCommand(src.passwordCommand);
  if (src.passwordFile) return fromFile(src.passwordFile);
  if (env.command) return passwordFromCommand(env.command);
  if (env.password !== undefined) return env.password;
  if (env.file) return fromFile(env.file);
  return promptHidden(prompt, none);
}

export async function readPassword(src: PasswordSource, prompt = 'enter password for repository: '): Promise<string> {
  return resolvePassword(src, passwordEnv(), '--password-file and --password-command', prompt, NO_PASSWORD);
}

/** The password of a copy's source repository: --from-password-command/-file, ROZEN_FROM_PASSWORD_COMMAND, _PASSWORD, _FILE. */
export async function readFromPassword(src: PasswordSource): Promise<string> {
  const none =
    'no password given for the source repository: set ROZEN_FROM_PASSWORD, ROZEN_FROM_PASSWORD_FILE or ROZEN_FROM_PASSWORD_COMMAND, or use --from-password-file or --from-password-command';
  const flags = '--from-password-file and --from-password-command';
  return resolvePassword(src, passwordEnv('ROZEN_FROM_'), flags, 'enter password for the source repository: ', none);
}

/** A new password: from a file, or asked twice on a TTY. */
export async function readNewPassword(file: string | undefined, fallback: PasswordSource): Promise<string> {
  passwordEnv();
  if (file) return fromFile(file);
  if (!process.stdin.isTTY) return readPassword(fallback);
  const a = await promptHidden('enter new password: ');
  const b = await promptHidden('enter new password again: ');
  if (a !== b) throw new RozenError('InvalidArgument', 'passwords do not match');
  return a;
}

export async function readPasswordFile(path: string): Promise<string> {
  return fromFile(path);
}
