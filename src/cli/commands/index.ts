/** Every command of the CLI, registered on the program. */
import type { Command } from 'commander';
import { registerBackup } from './backup.js';
import { registerCheck } from './check.js';
import { registerCompletion } from './completion.js';
import { registerCopy } from './copy.js';
import { registerDiff } from './diff.js';
import { registerDump } from './dump.js';
import { registerFind } from './find.js';
import { registerForget } from './forget.js';
import { registerHistory } from './history.js';
import { registerInit } from './init.js';
import { registerKey } from './key.js';
import { registerLs } from './ls.js';
import { registerMount } from './mount.js';
import { registerPrune } from './prune.js';
import { registerRepair } from './repair.js';
import { registerRestore } from './restore.js';
import { registerRewrite } from './rewrite.js';
import { registerSnapshots } from './snapshots.js';
import { registerStats } from './stats.js';
import { registerTag } from './tag.js';
import { registerUnlock } from './unlock.js';
import { registerVersion } from './version.js';

export function registerCommands(program: Command): void {
  registerInit(program);
  registerKey(program);
  registerBackup(program);
  registerSnapshots(program);
  registerLs(program);
  registerDiff(program);
  registerFind(program);
  registerDump(program);
  registerHistory(program);
  registerRestore(program);
  registerMount(program);
  registerTag(program);
  registerRewrite(program);
  registerForget(program);
  registerPrune(program);
  registerCheck(program);
  registerStats(program);
  registerUnlock(program);
  registerRepair(program);
  registerCopy(program);
  registerCompletion(program);
  registerVersion(program);
}
