/** Where a password comes from: ROZEN_PASSWORD, --password-file, ROZEN_PASSWORD_FILE, or a TTY prompt. */
import { readFile } from 'node:fs/promises';
import { RozenError } from '../core/errors.js';

export interface PasswordSource {
  readonly passwordFile?: string | undefined;
}

async function fromFile(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.replace(/\r?\n$/, '');
  } catch (err) {
    throw new RozenError('InvalidArgument', `cannot read password file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Read a line from the terminal without echoing it. */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new RozenError('InvalidArgument', 'no password given: set ROZEN_PASSWORD or ROZEN_PASSWORD_FILE, or use --password-file');
  // Echo goes off before the prompt shows: what is typed as soon as it appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  let line = '';
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      for (const ch of chunk.toString('utf8')) {
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
  if (src.passwordFile) return fromFile(src.passwordFile);
  const env = process.env['ROZEN_PASSWORD'];
  if (env !== undefined) return env;
  const envFile = process.env['ROZEN_PASSWORD_FILE'];
  if (envFile) return fromFile(envFile);
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
