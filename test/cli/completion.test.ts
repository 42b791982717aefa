/**
 * `rozen completion bash|zsh|fish` through the real CLI: each script is printed and parses in its shell; bash's
 * (and zsh's and fish's where those shells are installed) completes command names, options, option values and files.
 */
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rozen } from '../helpers/cli.js';

const env = process.env as Record<string, string>;

function has(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

/** The commands `rozen --help` lists: the scripts must offer each, however many there are. */
async function helpCommands(): Promise<string[]> {
  const help = (await rozen(['--help'], env)).stdout;
  const section = help.slice(help.indexOf('Commands:'), help.indexOf('\n\n', help.indexOf('Commands:')));
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1] ?? '').filter((c) => c !== 'help');
}

/** A scratch directory with a script file and a file to complete the name of. */
async function scratch(t: Test, name: string, script: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-completion-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'photos-2026'));
  const file = join(dir, name);
  await writeFile(file, script);
  return { dir, file };
}

t.test('each script is printed; an unknown shell is refused', async (t) => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await rozen(['completion', shell], env);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, new RegExp(`${shell} completion for rozen`));
  }
  const bad = await rozen(['completion', 'tcsh'], env);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /'tcsh' is invalid for argument 'shell'/);
});

t.test('bash: the script parses, and completes commands, subcommands, options, their values and files', async (t) => {
  const script = (await rozen(['completion', 'bash'], env)).stdout;
  const { dir, file } = await scratch(t, 'rozen.bash', script);
  t.equal(spawnSync('bash', ['-n', file]).status, 0, 'bash -n');
  /** What _rozen puts in COMPREPLY for these words, the cursor on the last. */
  const complete = (...words: string[]): string[] => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const cmd = `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _rozen; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  };
  t.same(complete('rozen', 'ba'), ['backup']);
  t.same(complete('rozen', ''), (await helpCommands()).sort(), 'every command of the program');
  t.same(complete('rozen', 'key', 'l'), ['list']);
  t.same(complete('rozen', 'repair', ''), ['index', 'snapshots']);
  t.same(complete('rozen', 'completion', ''), ['bash', 'fish', 'zsh'], "an argument's fixed values");
  t.same(complete('rozen', 'backup', '--exclude-f'), ['--exclude-file']);
  t.same(complete('rozen', '-r', '/srv/backup', 'backup', '--tag', 'x', '--c'), ['--cache-dir', '--compression'], 'values skipped');
  t.same(complete('rozen', 'backup', '--compression', ''), ['auto', 'max', 'off']);
  t.same(complete('rozen', 'backup', '/srv', 'pho'), ['photos-2026'], 'a path');
  t.same(complete('rozen', '--password-file', 'key', ''), (await helpCommands()).sort(), '"key" was the file, not the command');
});

t.test(
  'zsh: the script parses, and completes with zsh',
  { skip: has('zsh') ? false : 'zsh is not installed on this machine' },
  async (t) => {
    const script = (await rozen(['completion', 'zsh'], env)).stdout;
    const { dir, file } = await scratch(t, '_rozen', script);
    t.equal(spawnSync('zsh', ['-n', file]).status, 0, 'zsh -n');
    // Outside a completion widget, compsys's functions are stand-ins that print what they were given.
    const stubs = `compdef() { :; }; _describe() { print -rl -- \${(P)2%%:*}; }; compadd() { print -rl -- \${(P)2}; }; _files() { print FILES; }`;
    const complete = (...words: string[]): string[] => {
      const quoted = words.map((w) => `'${w}'`).join(' ');
      const cmd = `${stubs}; source '${file}'; words=(${quoted}); CURRENT=${words.length}; _rozen`;
      return execFileSync('zsh', ['-c', cmd], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    };
    t.same(complete('rozen', ''), (await helpCommands()).sort());
    t.same(complete('rozen', 'key', ''), ['add', 'list', 'passwd', 'remove']);
    t.ok(complete('rozen', 'backup', '--').includes('--exclude-file'));
    t.same(complete('rozen', 'backup', '--compression', ''), ['auto', 'max', 'off']);
    t.same(complete('rozen', '-r', 'x', 'backup', ''), ['FILES']);
  },
);

t.test(
  'fish: the script parses, and completes with fish',
  { skip: has('fish') ? false : 'fish is not installed on this machine' },
  async (t) => {
    const script = (await rozen(['completion', 'fish'], env)).stdout;
    const { dir, file } = await scratch(t, 'rozen.fish', script);
    t.equal(spawnSync('fish', ['-n', file]).status, 0, 'fish -n');
    const complete = (line: string): string[] =>
      execFileSync('fish', ['-c', `source '${file}'; complete -C '${line}'`], { cwd: dir, encoding: 'utf8', env: { ...env, HOME: dir } })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0] ?? '')
        .sort();
    t.same(complete('rozen ba'), ['backup']);
    t.same(complete('rozen key '), ['add', 'list', 'passwd', 'remove']);
    t.same(complete('rozen backup --exclude-f'), ['--exclude-file']);
    t.same(complete('rozen backup --compression '), ['auto', 'max', 'off']);
    t.same(complete('rozen backup pho'), ['photos-2026/']);
  },
);
