import t from 'tap';
import { RozenError, isRozenError } from '../../src/core/errors.js';

t.test('errors carry codes and exit codes', async (t) => {
  const e = new RozenError('WrongPassword', 'wrong password or no key found');
  t.equal(e.exitCode, 12);
  t.ok(isRozenError(e, 'WrongPassword'));
  t.notOk(isRozenError(e, 'Locked'));
  t.equal(new RozenError('RepoNotFound', 'x').exitCode, 10);
});
