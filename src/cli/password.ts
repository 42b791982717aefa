/** Where a password comes from: ROZEN_PASSWORD, --password-file, ROZEN_PASSWORD_FILE, or a TTY prompt. */
import { readFile } from 'node:fs/promises';
import { RozenError } from '../core/errors.js';

export interface PasswordSource {
  readonly passwordFile?: string | undefined;
}

interface PasswordEnv {
  readonly password: string | undefined;
  readonly file: string | undefined;
}

/** ROZEN_PASSWORD and ROZEN_PASSWORD_FILE, taken out of the environment at first use so no child process inherits them. */
let fromEnv: PasswordEnv | undefined;

function passwordEnv(): PasswordEnv {
  if (fromEnv === undefined) {
    fromEnv = { password: process.env['ROZEN_PASSWORD'], file: process.env['ROZEN_PASSWORD_FILE'] };
    delete process.env['ROZEN_PASSWORD'];
    delete process.env['ROZEN_PASSWORD_FILE'];
  }
  return fromEnv;
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
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    throw new RozenError('InvalidArgument', 'no password given: set ROZEN_PASSWORD or ROZEN_PASSWORD_FILE, or use --password-file');
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

export async function readPassword(src: PasswordSource, prompt = 'enter password for repository: '): Promise<string> {
  const env = passwordEnv();
  if (src.passwordFile) return fromFile(src.passwordFile);
  if (env.password !== undefined) return env.password;
  if (env.file) return fromFile(env.file);
  return promptHidden(prompt);
}

/** A new password: from a file, or asked twice on a TTY. */
export async function readNewPassword(file: string | undefined, fallback: PasswordSource): Promise<string> {
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
