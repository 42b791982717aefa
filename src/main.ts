/** The `rozen` command line: parses arguments, runs one command, maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './cli/commands/index.js';
import { reportFatal } from './cli/errors.js';
import { addRepoOptions, impliedRepoArgv, noteImpliedRepo } from './cli/implied-repo.js';
import { ROZEN_VERSION } from './cli/version-info.js';

// The AWS SDK warns on every run that it will later need Node 22: noise on a user's terminal.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) process.stderr.write(`rozen: warning: ${w.message}\n`);
});

// The reader of standard output went away (`rozen ls | head`): stop at once and quietly, with the status
// a process killed by SIGPIPE has, as C tools do. Nothing more can be said to that reader.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

const program = addRepoOptions(
  new Command('rozen')
    .description('encrypted, deduplicating, compressing backups to a local disk or S3, with FUSE mounts of snapshots')
    .version(ROZEN_VERSION),
)
  .option('--password-file <file>', 'read the repository password from this file')
  .option(
    '--password-command <cmd>',
    'run CMD with /bin/sh and take its output, less the trailing newline, as the repository password. ' +
      'Precedence: --password-command or --password-file (not both), then ROZEN_PASSWORD_COMMAND, ROZEN_PASSWORD, ' +
      'ROZEN_PASSWORD_FILE, then a prompt on a terminal',
  )
  .option('--cache-dir <dir>', 'local cache directory (default: the user cache dir, or ROZEN_CACHE_DIR)')
  .option('--debug', 'print stack traces of errors')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);
noteImpliedRepo(program);

try {
  await program.parseAsync(impliedRepoArgv(program, process.argv, process.env));
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFatal(err);
  }
}
// Every command has awaited its own work (and closed the repository) by now. Exiting here skips tearing down the
// heap page by page, a delay after every backup or prune; the kernel frees it all at once. Output to a
// pipe its reader has not taken yet (more than the pipe holds, e.g. a long --json) is waited for first
// (until taken, or the reader is gone).
for (const stream of [process.stdout, process.stderr]) {
  if (stream.writableLength === 0) continue;
  await new Promise((resolve) => {
    // Kept on: a write refused by a reader gone (EPIPE) fails each queued part in turn.
    stream.on('error', resolve);
    stream.once('drain', resolve).once('close', resolve);
  });
}
process.exit();
