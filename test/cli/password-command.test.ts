/** --password-command and ROZEN_PASSWORD_COMMAND through the CLI: success, failure, empty output, precedence. */
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliSandbox, rozen } from '../helpers/cli.js';

t.test('the password from a command, and what happens when the command fails', async (t) => {
  const { dir, env: base } = await cliSandbox(t);
  const { ROZEN_PASSWORD: password, ...env } = base;
  if (password === undefined) throw new Error('the sandbox sets a password');
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], base)).code, 0);

  const ok = await rozen(['--password-command', `printf '%s\\n' '${password}'`, 'snapshots', repo], env);
  t.equal(ok.code, 0, `--password-command: ${ok.stderr}`);
  const viaEnv = await rozen(['snapshots', repo], { ...env, ROZEN_PASSWORD_COMMAND: `echo '${password}'` });
  t.equal(viaEnv.code, 0, `ROZEN_PASSWORD_COMMAND: ${viaEnv.stderr}`);
  const beforeEnvPassword = await rozen(['snapshots', repo], {
    ...env,
    ROZEN_PASSWORD: 'wrong',
    ROZEN_PASSWORD_COMMAND: `echo '${password}'`,
  });
  t.equal(beforeEnvPassword.code, 0, 'ROZEN_PASSWORD_COMMAND comes before ROZEN_PASSWORD');
  const flagFirst = await rozen(['--password-command', `echo '${password}'`, 'snapshots', repo], {
    ...env,
    ROZEN_PASSWORD_COMMAND: 'exit 1',
  });
  t.equal(flagFirst.code, 0, 'the option comes before the variable');

  const failing = await rozen(['--password-command', 'echo secret-output; exit 3', 'snapshots', repo], env);
  t.equal(failing.code, 2, 'a failing command: exit 2 (InvalidArgument)');
  t.match(failing.stderr, /password command "echo secret-output; exit 3" failed with exit status 3/);
  t.notMatch(failing.stderr + failing.stdout, /secret-output\n/, 'its output is not shown');

  const empty = await rozen(['snapshots', repo], { ...env, ROZEN_PASSWORD_COMMAND: 'true' });
  t.equal(empty.code, 2, 'no output: exit 2');
  t.match(empty.stderr, /password command "true" printed no password \(exit status 0\)/);

  const wrong = await rozen(['--password-command', 'echo not-the-password', 'snapshots', repo], env);
  t.equal(wrong.code, 12, 'a wrong password from a command: exit 12');
  t.notMatch(wrong.stderr, /not-the-password/, 'the password is never echoed');

  const file = join(dir, 'pw');
  await writeFile(file, `${password}\n`);
  const both = await rozen(['--password-file', file, '--password-command', 'echo x', 'snapshots', repo], env);
  t.equal(both.code, 2, 'a file and a command together are refused');
  t.match(both.stderr, /--password-file and --password-command are mutually exclusive/);

  const help = await rozen(['--help'], env);
  t.match(help.stdout, /--password-command <cmd>/);
  t.match(help.stdout.replace(/\s+/g, ' '), /ROZEN_PASSWORD_COMMAND, ROZEN_PASSWORD, ROZEN_PASSWORD_FILE/);
});
