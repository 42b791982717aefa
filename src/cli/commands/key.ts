/** `rozen key list|add|remove|passwd`: manage the passwords that open a repository. */
import { deleteFormatObjects } from '../../backend/format-names.js';
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { oneLine } from '../../core/one-line.js';
import { type KeyInfo, addKey, describeBadKeyFile, describeKeys, listKeyIds, resolveKeyId } from '../../repo/keys.js';
import { passwordSource, withRepo } from '../context.js';
import { json, out, warn } from '../output.js';
import { readNewPassword } from '../password.js';
import { shortId } from '../../core/ids.js';

interface NewPasswordOpts {
  readonly newPasswordFile?: string;
}

/** One table row; host and user names come from the repository and are escaped. */
function keyRow(k: KeyInfo, current: string): string {
  const mark = k.id === current ? '*' : ' ';
  return `${mark}${shortId(k.id)}  ${oneLine(k.username).padEnd(10)}  ${oneLine(k.hostname).padEnd(18)}  ${k.created}`;
}

async function newPassword(opts: NewPasswordOpts, cmd: Command): Promise<string> {
  const pw = await readNewPassword(opts.newPasswordFile, passwordSource(cmd));
  if (pw.length === 0) throw new RozenError('InvalidArgument', 'empty password refused');
  return pw;
}

export function registerKey(program: Command): void {
  const key = program.command('key').description('manage the passwords (key files) of a repository');
  registerKeyList(key);
  registerKeyAdd(key);
  registerKeyRemove(key);
  registerKeyPasswd(key);
}

function registerKeyList(key: Command): void {
  key
    .command('list')
    .description('list key files; * marks the one the given password opened')
    .argument('<repo>')
    .option('--json', 'print JSON')
    .action(async (url: string, opts: { json?: boolean }, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        const { keys, bad } = await describeKeys(repo.backend);
        for (const b of bad) warn(describeBadKeyFile(b));
        if (opts.json) return json(keys.map((k) => ({ ...k, current: k.id === repo.keyId })));
        out(' ID        User        Host                Created');
        for (const k of keys) out(keyRow(k, repo.keyId));
      });
    });
}

function registerKeyAdd(key: Command): void {
  key
    .command('add')
    .description('add a password that also opens the repository')
    .argument('<repo>')
    .option('--new-password-file <file>', 'read the new password from this file')
    .action(async (url: string, opts: NewPasswordOpts, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        const pw = await newPassword(opts, cmd);
        const id = await addKey(repo.backend, repo.master, pw);
        out(`added key ${shortId(id)}`);
      });
    });
}

function registerKeyRemove(key: Command): void {
  key
    .command('remove')
    .description('remove a key file (never the last one, nor the one in use)')
    .argument('<repo>')
    .argument('<key-id>', 'key id or unique prefix')
    .action(async (url: string, prefix: string, _opts: unknown, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        const id = await resolveKeyId(repo.backend, prefix);
        if (id === repo.keyId)
          throw new RozenError(
            'InvalidArgument',
            'refusing to remove the key in use; open the repository with another password to remove it',
          );
        if ((await listKeyIds(repo.backend)).length <= 1) throw new RozenError('InvalidArgument', 'refusing to remove the last key');
        await deleteFormatObjects(repo.backend, [`keys/${id}`]);
        out(`removed key ${oneLine(shortId(id))}`);
      });
    });
}

function registerKeyPasswd(key: Command): void {
  key
    .command('passwd')
    .description('change the password in use: add a key for the new password, then remove the old one')
    .argument('<repo>')
    .option('--new-password-file <file>', 'read the new password from this file')
    .action(async (url: string, opts: NewPasswordOpts, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        const pw = await newPassword(opts, cmd);
        const id = await addKey(repo.backend, repo.master, pw);
        await deleteFormatObjects(repo.backend, [`keys/${repo.keyId}`]);
        out(`password changed: key ${shortId(repo.keyId)} replaced by ${shortId(id)}`);
      });
    });
}
