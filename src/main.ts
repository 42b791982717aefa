/** The `rozen` command line: parses arguments, runs one command, maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './cli/commands/index.js';
import { reportFatal } from './cli/errors.js';

// The AWS SDK warns on every run that it will later need Node 22: noise on a user's terminal.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) process.stderr.write(`rozen: warning: ${w.message}\n`);
});

const program = new Command('rozen')
  .description('encrypted, deduplicating, compressing backups to a local disk or S3, with FUSE mounts of snapshots')
  .version('0.1.0')
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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFatal(err);
  }
}
// Every command has awaited its own work (and closed the repository) by now. Exiting here skips tearing down the
// heap page by page, a delay after every backup or prune; the kernel frees it all at once. (Standard
// output and error are synchronous on Linux: nothing written is lost.)
process.exit();
