/** Every command of the CLI, registered on the program. */
import type { Command } from 'commander';
import { registerBackup } from './backup.js';
import { registerDiff } from './diff.js';
import { registerInit } from './init.js';
import { registerKey } from './key.js';
import { registerLs } from './ls.js';
import { registerMount } from './mount.js';
import { registerRestore } from './restore.js';
import { registerSnapshots } from './snapshots.js';

export function registerCommands(program: Command): void {
  registerInit(program);
  registerKey(program);
  registerBackup(program);
  registerSnapshots(program);
  registerLs(program);
  registerDiff(program);
  registerRestore(program);
  registerMount(program);
}
