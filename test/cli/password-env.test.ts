import t from 'tap';
import { readPassword } from '../../src/cli/password.js';

t.test('the password variables leave the environment once read, so child processes do not inherit them', async (t) => {
  process.env['ROZEN_PASSWORD'] = 'hunter2';
  process.env['ROZEN_PASSWORD_FILE'] = '/secret/pw';
  t.equal(await readPassword({}), 'hunter2');
  t.equal(process.env['ROZEN_PASSWORD'], undefined);
  t.equal(process.env['ROZEN_PASSWORD_FILE'], undefined);
  t.equal(await readPassword({}), 'hunter2', 'still the password for a second read (key add without a new-password file)');
});
