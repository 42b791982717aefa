/** Validation of object names and byte ranges shared by every backend. */
import { RozenError, invalidArgument } from '../core/errors.js';
import type { ByteRange } from '../core/types.js';

/** Basename prefix of in-progress local uploads; never a valid object name segment. */
export const TEMP_PREFIX = '.rozen-tmp-';

/** Accepts '/'-separated relative names without empty, '.', '..' or temp-file segments. */
export function checkName(name: string): string {
  if (name === '' || name.startsWith('/') || name.includes('\0')) throw invalidArgument(`invalid object name "${name}"`);
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || seg.startsWith(TEMP_PREFIX)) {
      throw invalidArgument(`invalid object name "${name}"`);
    }
  }
  return name;
}

export function checkRange(range: ByteRange): ByteRange {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw invalidArgument(`invalid byte range offset=${offset} length=${length}`);
  }
  return range;
}

/** The error every backend throws when fewer bytes exist than a range asks for. */
export function shortRead(name: string, range: ByteRange, got: number): RozenError {
  return new RozenError('CorruptData', `short read of ${name}: wanted ${range.length} bytes at ${range.offset}, got ${got}`);
}
