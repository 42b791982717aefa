/** backup --stdin, --files-from*, --dry-run and the tag/size excludes on a local repository. */
import t from 'tap';
import { suite } from './backup-options-suite.js';

suite(t, () => undefined);
