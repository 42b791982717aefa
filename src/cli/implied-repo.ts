/**
 * The repository named by -r/--repo, --repository-file, ROZEN_REPOSITORY or ROZEN_REPOSITORY_FILE (restic's rule:
 * then a command takes no repository argument). Every command that works on a repository declares it as its first
 * argument, `<repo>`; when the repository is named this way, it is put into argv right after the command's name
 * before commander parses, so the commands see one argument list either way. Without these, nothing changes.
 * A command that names its repositories itself (copy: `<src-repo> <dst-repo>`) takes none this way, and -r/--repo
 * or --repository-file given with it is refused rather than ignored.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Command } from 'commander';
import { parseRepoUrl } from '../backend/open.js';
import { invalidArgument, isRozenError } from '../core/errors.js';
import { oneLine } from '../core/one-line.js';
import { scanOperands } from './argv-scan.js';

/** Where the repository came from, for messages, and the repository itself. */
interface NamedRepo {
  readonly repo: string;
  readonly by: string;
}

/** A repository file holds one location; anything longer is not one. */
const MAX_REPO_FILE_BYTES = 4096;

const ROOT_HELP = `
The repository: commands that work on one take it as their first argument, <repo> (a directory
path or s3://bucket/prefix). With -r/--repo or --repository-file, or ROZEN_REPOSITORY or
ROZEN_REPOSITORY_FILE in the environment, leave <repo> out:
  rozen -r /srv/backup backup /home              backs up /home into /srv/backup
  ROZEN_REPOSITORY=/srv/backup rozen snapshots   lists the snapshots of /srv/backup
The options win over the environment; both options together, or both variables, are refused.
So that a repository given both ways is never taken for data (a path to back up, a snapshot,
a mount point), a first argument that is the same repository or any URL, or more arguments
than the command takes besides <repo>, is refused with exit code 2.`;

const COMMAND_HELP = `
Leave <repo> out when -r/--repo, --repository-file, ROZEN_REPOSITORY or ROZEN_REPOSITORY_FILE
names the repository (see rozen --help).`;

/** The program's -r/--repo and --repository-file options, with the rule in its help. */
export function addRepoOptions(program: Command): Command {
  return program
    .option('-r, --repo <repo>', 'the repository for commands that take <repo>, which is then left out (else ROZEN_REPOSITORY)')
    .option('--repository-file <file>', 'read the repository from this file (else ROZEN_REPOSITORY_FILE)')
    .addHelpText('after', ROOT_HELP);
}

/** Says in the help of every command taking `<repo>` that it may be left out. */
export function noteImpliedRepo(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (takesRepo(sub)) sub.addHelpText('after', COMMAND_HELP);
    noteImpliedRepo(sub);
  }
}

/** `argv` with the repository the options or the environment name inserted as the command's `<repo>`. */
export function impliedRepoArgv(program: Command, argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const tokens = argv.slice(2);
  const found = findCommand(program, tokens);
  if (!found) return [...argv];
  const given = fromOptions(programOptions(program, tokens));
  if (!takesRepo(found.cmd)) {
    // An option given for a command that names its repositories itself (copy) would be ignored: say so.
    if (given && namesRepos(found.cmd))
      throw invalidArgument(`${given.by} does not apply to '${commandPath(found.cmd)}', which takes no <repo> argument`);
    return [...argv];
  }
  const named = given ?? fromEnv(env);
  if (!named) return [...argv];
  if (named.repo.startsWith('-')) throw invalidArgument(`${named.by}: a repository cannot start with "-" (write ./${oneLine(named.repo)})`);
  refuseAmbiguous(found.cmd, tokens, found.index + 1, named);
  const at = 2 + found.index + 1;
  return [...argv.slice(0, at), named.repo, ...argv.slice(at)];
}

function namesRepos(cmd: Command): boolean {
  return cmd.registeredArguments.some((a) => /repo$/i.test(a.name()));
}

function takesRepo(cmd: Command): boolean {
  return cmd.registeredArguments[0]?.name() === 'repo';
}

/** The command argv runs and where its name is in `tokens`; undefined when commander will run none. */
function findCommand(program: Command, tokens: readonly string[]): { cmd: Command; index: number } | undefined {
  let cmd = program;
  let from = 0;
  while (cmd.commands.length > 0) {
    const scan = scanOperands(cmd, tokens, from, 1);
    const name = scan.operands[0];
    if (name === undefined || scan.unknown || scan.help) return undefined;
    const sub = cmd.commands.find((c) => c.name() === name.value || c.aliases().includes(name.value));
    if (sub === undefined) return undefined;
    cmd = sub;
    from = name.index + 1;
  }
  return cmd === program ? undefined : { cmd, index: from - 1 };
}

/** The program's options as commander will read them (anywhere in argv); none when they will not parse. */
function programOptions(program: Command, tokens: readonly string[]): { repo?: string; repositoryFile?: string } {
  const probe = new Command().exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const o of program.options) probe.addOption(o);
  try {
    probe.parseOptions([...tokens]);
  } catch {
    return {};
  }
  return probe.opts();
}

function fromOptions(o: { repo?: string; repositoryFile?: string }): NamedRepo | undefined {
  if (o.repo !== undefined && o.repositoryFile !== undefined) throw invalidArgument('give -r/--repo or --repository-file, not both');
  if (o.repo !== undefined) return nonEmpty({ repo: o.repo, by: '-r/--repo' });
  if (o.repositoryFile !== undefined) return fromFile(o.repositoryFile, '--repository-file');
  return undefined;
}

function fromEnv(env: NodeJS.ProcessEnv): NamedRepo | undefined {
  const repo = env['ROZEN_REPOSITORY'] || undefined;
  const file = env['ROZEN_REPOSITORY_FILE'] || undefined;
  if (repo !== undefined && file !== undefined) throw invalidArgument('ROZEN_REPOSITORY and ROZEN_REPOSITORY_FILE are both set: unset one');
  if (repo !== undefined) return { repo, by: 'ROZEN_REPOSITORY' };
  if (file !== undefined) return fromFile(file, 'ROZEN_REPOSITORY_FILE');
  return undefined;
}

function nonEmpty(named: NamedRepo): NamedRepo {
  if (named.repo === '') throw invalidArgument(`${named.by}: the repository location is empty`);
  return named;
}

/** The one line a repository file holds, surrounding white space removed; its size is bounded before it is read. */
function fromFile(file: string, by: string): NamedRepo {
  const buf = Buffer.alloc(MAX_REPO_FILE_BYTES + 1);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      if (!fstatSync(fd).isFile()) throw invalidArgument(`${by}: ${oneLine(file)} is not a regular file`);
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (isRozenError(err)) throw err;
    throw invalidArgument(`${by}: cannot read ${oneLine(file)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const repo = buf.subarray(0, n).toString('utf8').trim();
  if (n > MAX_REPO_FILE_BYTES || /[\r\n]/.test(repo)) {
    throw invalidArgument(`${by}: ${oneLine(file)} should hold one repository location on one line`);
  }
  return nonEmpty({ repo, by: `${by} ${file}` });
}

/**
 * Refuses argv where the repository seems to be given as an argument too (a habit from before it was named
 * elsewhere): rather than take it for data to back up, a snapshot or a mount point.
 */
function refuseAmbiguous(cmd: Command, tokens: readonly string[], from: number, named: NamedRepo): void {
  const scan = scanOperands(cmd, tokens, from);
  const first = scan.operands[0];
  if (scan.help || scan.unknown || first === undefined) return;
  const leaveOut = `leave out the <repo> argument of '${commandPath(cmd)}' when the repository is named that way`;
  const v = oneLine(first.value);
  if (sameRepo(first.value, named.repo)) throw invalidArgument(`"${v}" is the repository ${named.by} names: ${leaveOut}`);
  if (isUrl(first.value)) {
    throw invalidArgument(`"${v}" looks like a repository, but ${named.by} names the repository (${oneLine(named.repo)}): ${leaveOut}`);
  }
  const most = cmd.registeredArguments.slice(1).reduce((n, a) => n + (a.variadic ? Infinity : 1), 0);
  if (scan.operands.length > most) {
    throw invalidArgument(`too many arguments: ${named.by} names the repository (${oneLine(named.repo)}), so ${leaveOut}`);
  }
}

const isUrl = (text: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

function sameRepo(a: string, b: string): boolean {
  try {
    return JSON.stringify(parseRepoUrl(a)) === JSON.stringify(parseRepoUrl(b));
  } catch {
    return false;
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
