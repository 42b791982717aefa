/** `rozen init <repo>`: create an encrypted repository. */
import type { Command } from 'commander';
import { openBackend } from '../../backend/open.js';
import { RozenError } from '../../core/errors.js';
import { Repository } from '../../repo/repository.js';
import { passwordSource } from '../context.js';
import { out } from '../output.js';
import { readNewPassword } from '../password.js';
import { shortId } from '../../core/ids.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new encrypted repository at a path or s3://bucket/prefix')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .action(async (url: string, _opts: unknown, cmd: Command) => {
      const backend = await openBackend(url);
      try {
        if (await backend.stat('config')) {
          throw new RozenError('RepoExists', `a repository already exists at ${backend.location}`);
        }
        const password = await readNewPassword(undefined, passwordSource(cmd));
        if (password.length === 0) throw new RozenError('InvalidArgument', 'empty password refused');
        const { id, keyId } = await Repository.init(backend, password);
        out(`created repository ${id.slice(0, 10)} at ${backend.location} (key ${shortId(keyId)})`);
        out('Losing the password means losing the data in the repository.');
      } finally {
        await backend.close();
      }
    });
}
