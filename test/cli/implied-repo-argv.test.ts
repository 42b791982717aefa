/**
 * How argv is rewritten when -r/--repo, --repository-file, ROZEN_REPOSITORY or ROZEN_REPOSITORY_FILE names the
 * repository: the real commands are registered, and commander parses the result (with the action of `backup` replaced).
 */
import t from 'tap';
import fc from 'fast-check';
import { Command } from 'commander';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCommands } from '../../src/cli/commands/index.js';
import { addRepoOptions, impliedRepoArgv } from '../../src/cli/implied-repo.js';

const R = '/srv/backup';

/** The program as src/main.ts builds it (its global options included), errors thrown instead of exiting. */
function program(): Command {
  const p = addRepoOptions(new Command('rozen').version('0'))
    .option('--password-file <file>')
    .option('--cache-dir <dir>')
    .option('--debug')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerCommands(p);
  for (const c of p.commands) c.exitOverride();
  return p;
}

const rewrite = (args: string[], env: NodeJS.ProcessEnv = {}): string[] =>
  impliedRepoArgv(program(), ['node', 'rozen', ...args], env).slice(2);

t.test('nothing names the repository: argv is left as it is', async (t) => {
  for (const args of [['backup', R, '/home'], ['snapshots', R], ['key', 'list', R], ['version'], [], ['--help'], ['help', 'backup']]) {
    t.same(rewrite(args), args, args.join(' '));
  }
  t.same(rewrite(['copy', '/a', '/b'], { ROZEN_REPOSITORY: R }), ['copy', '/a', '/b'], 'copy names its own repositories');
  t.same(rewrite(['-r', R, 'version']), ['-r', R, 'version'], 'a command without repositories ignores -r');
});

t.test('the repository goes right after the command name', async (t) => {
  const env = { ROZEN_REPOSITORY: R };
  const cases: [string[], string[]][] = [
    [
      ['backup', '/home'],
      ['backup', R, '/home'],
    ],
    [
      ['--debug', 'backup', '--tag', 'x', '/home'],
      ['--debug', 'backup', R, '--tag', 'x', '/home'],
    ],
    [
      ['--password-file', 'backup', 'key', 'list'],
      ['--password-file', 'backup', 'key', 'list', R],
    ],
    [
      ['key', '--debug', 'list', '--json'],
      ['key', '--debug', 'list', R, '--json'],
    ],
    [
      ['repair', 'snapshots', '--dry-run'],
      ['repair', 'snapshots', R, '--dry-run'],
    ],
    [
      ['ls', 'latest', '/home'],
      ['ls', R, 'latest', '/home'],
    ],
    [
      ['backup', '--', '-odd-name'],
      ['backup', R, '--', '-odd-name'],
    ],
    [
      ['backup', '--help', 'a', 'b'],
      ['backup', R, '--help', 'a', 'b'],
    ],
  ];
  for (const [args, want] of cases) t.same(rewrite(args, env), want, args.join(' '));
  for (const args of [['version'], ['completion', 'bash'], ['help', 'backup'], ['key'], ['--help'], ['nosuch', 'x']]) {
    t.same(rewrite(args, env), args, `${args.join(' ')}: no command taking <repo>`);
  }
});

t.test('-r and --repository-file in each spelling, anywhere commander reads them, and over the environment', async (t) => {
  const env = { ROZEN_REPOSITORY: '/elsewhere' };
  t.same(rewrite(['-r', R, 'snapshots'], env), ['-r', R, 'snapshots', R]);
  t.same(rewrite([`-r${R}`, 'snapshots'], env), [`-r${R}`, 'snapshots', R]);
  t.same(rewrite([`--repo=${R}`, 'snapshots'], env), [`--repo=${R}`, 'snapshots', R]);
  t.same(rewrite(['snapshots', '--json', '--repo', R], env), ['snapshots', R, '--json', '--repo', R]);
  const dir = await mkdtemp(join(tmpdir(), 'rozen-argv-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'repo');
  await writeFile(file, `  ${R}\n`);
  t.same(rewrite(['--repository-file', file, 'stats'], env), ['--repository-file', file, 'stats', R]);
  t.same(rewrite(['stats'], { ROZEN_REPOSITORY_FILE: file }), ['stats', R]);
  t.same(rewrite(['stats'], { ROZEN_REPOSITORY: '', ROZEN_REPOSITORY_FILE: file }), ['stats', R], 'an empty variable is unset');
});

t.test('ambiguous or broken ways of naming the repository are refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-argv-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const twoLines = join(dir, 'two');
  await writeFile(twoLines, `${R}\n/other\n`);
  const big = join(dir, 'big');
  await writeFile(big, 'x'.repeat(5000));
  const env = { ROZEN_REPOSITORY: R };
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['backup', R, '/home'], env, /"\/srv\/backup" is the repository ROZEN_REPOSITORY names: leave out the <repo> argument of 'backup'/],
    [['backup', `${R}/`, '/home'], env, /is the repository/],
    [['forget', R, '--keep-last', '1'], env, /is the repository/],
    [['backup', 's3://bucket/repo', '/home'], env, /"s3:\/\/bucket\/repo" looks like a repository, but ROZEN_REPOSITORY names/],
    [['snapshots', '/other'], env, /too many arguments: ROZEN_REPOSITORY names the repository \(\/srv\/backup\)/],
    [['mount', '/other', '/mnt'], env, /too many arguments/],
    [['key', 'remove', '/other', 'abcd'], env, /too many arguments.*'key remove'/],
    [['-r', R, 'copy', '/a', '/b'], {}, /-r\/--repo does not apply to 'copy', which takes no <repo> argument/],
    [['-r', '/a', '--repository-file', twoLines, 'stats'], {}, /-r\/--repo or --repository-file, not both/],
    [['stats'], { ROZEN_REPOSITORY: R, ROZEN_REPOSITORY_FILE: twoLines }, /both set/],
    [['stats'], { ROZEN_REPOSITORY_FILE: twoLines }, /one repository location on one line/],
    [['stats'], { ROZEN_REPOSITORY_FILE: big }, /one repository location on one line/],
    [['stats'], { ROZEN_REPOSITORY_FILE: join(dir, 'absent') }, /cannot read .*absent: ENOENT/],
    [['stats'], { ROZEN_REPOSITORY_FILE: dir }, /EISDIR|not a regular file/],
    [['-r', '', 'stats'], {}, /location is empty/],
    [['-r', '-x', 'stats'], {}, /cannot start with "-"/],
  ];
  for (const [args, e, message] of cases) t.throws(() => rewrite(args, e), { code: 'InvalidArgument', message }, args.join(' '));
});

/** A backup command line: options in any order, global ones too, around at least one path; and its paths. */
const backupArgs = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(['--json'], ['--one-file-system'], ['--debug'], ['--quiet']),
        fc.tuple(fc.constantFrom('--tag', '--exclude', '--host', '--password-file', '--cache-dir'), fc.string({ minLength: 1 })),
        fc.constantFrom('auto', 'off', 'max').map((m) => ['--compression', m]),
      ),
      { maxLength: 6 },
    ),
    fc.array(fc.stringMatching(/^[a-z/.][a-z0-9/._ -]{0,12}$/), { minLength: 1, maxLength: 4 }),
  )
  .filter(([, paths]) => paths.every((p) => p.replace(/\/+$/, '') !== R))
  .chain(([opts, paths]) =>
    fc
      .shuffledSubarray([...opts.map((o) => ({ opt: o })), ...paths.map((p) => ({ path: p }))], { minLength: opts.length + paths.length })
      .map((items) => ({
        args: items.flatMap((i) => ('opt' in i ? i.opt : [i.path])),
        paths: items.flatMap((i) => ('path' in i ? [i.path] : [])),
      })),
  );

/** What `backup` is called with, after the rewrite, as commander parses it. */
async function backupCall(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; paths: string[] }> {
  const p = program();
  let call: { url: string; paths: string[] } | undefined;
  p.commands.find((c) => c.name() === 'backup')?.action((url: string, paths: string[]) => void (call = { url, paths }));
  await p.parseAsync(impliedRepoArgv(p, ['node', 'rozen', ...args], env));
  if (call === undefined) throw new Error('backup not called');
  return call;
}

t.test('commander then sees the named repository as <repo> and every path given as a path', async (t) => {
  await fc.assert(
    fc.asyncProperty(backupArgs, async ({ args, paths }) => {
      t.same(await backupCall(['backup', ...args], { ROZEN_REPOSITORY: R }), { url: R, paths }, 'ROZEN_REPOSITORY');
      t.same(await backupCall(['-r', R, 'backup', ...args], {}), { url: R, paths }, '-r');
      t.same(await backupCall(['backup', ...args, '--repo', R], {}), { url: R, paths }, '--repo after the paths');
      t.same(await backupCall(['backup', R, ...args], {}), { url: R, paths }, 'the positional form, unchanged');
    }),
    { numRuns: 100 },
  );
});
