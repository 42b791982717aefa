import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, cliSandbox, collect, rozen } from '../helpers/cli.js';

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input` at its prompts. */
function onTty(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; stdout: string }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  setTimeout(() => child.stdin!.write(input), 1500);
  return collect(child).then((r) => ({ code: r.code, stdout: r.stdout }));
}

t.test('on a terminal the password is asked for without echo', async (t) => {
  const { dir, env } = await cliSandbox(t);
  const repo = join(dir, 'repo');
  t.equal((await rozen(['init', repo], env)).code, 0);
  const noEnv = { ...env };
  delete noEnv['ROZEN_PASSWORD'];
  const ok = await onTty(['snapshots', repo], noEnv, 'correct horse\r');
  t.equal(ok.code, 0, ok.stdout);
  t.match(ok.stdout, /enter password for repository/);
  t.notMatch(ok.stdout, /correct horse/, 'the password is not echoed');
  const bad = await onTty(['snapshots', repo], noEnv, 'wrong\r');
  t.equal(bad.code, 12);
});
