/** backup --stdin, --files-from*, --dry-run and the tag/size excludes on an S3 repository (s3rver). */
import t from 'tap';
import { startS3rver } from '../helpers/s3rver.js';
import { suite } from './backup-options-suite.js';

const s3 = await startS3rver();
t.teardown(() => s3.stop());
suite(t, () => s3);
