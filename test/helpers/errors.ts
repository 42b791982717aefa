/** Whether `fn` throws RozenError CorruptData. */
import { isRozenError } from '../../src/core/errors.js';

export function throwsCorrupt(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return isRozenError(err, 'CorruptData');
  }
}
