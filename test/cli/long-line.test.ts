/** The long listing line's remembered mode and time strings agree with formatting each afresh, in any order. */
import t from 'tap';
import fc from 'fast-check';
import { modeString, timeString } from '../../src/cli/long-line.js';
import type { NodeType } from '../../src/snapshot/node.js';
import { node } from '../helpers/node.js';

const direct = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19).replace('T', ' ');
const MAX_NS = 8_640_000_000_000_000n * 1_000_000n - 1n;

t.test('timeString equals a fresh format for any time, repeated or not, before or after 1970', async (t) => {
  const ns = fc.oneof(fc.bigInt({ min: -MAX_NS, max: MAX_NS }), fc.bigInt({ min: -3_000_000_000n, max: 3_000_000_000n }));
  fc.assert(
    fc.property(fc.array(ns, { maxLength: 50 }), (times) => {
      for (const x of [...times, ...times.reverse()])
        if (timeString(x) !== direct(x)) throw new Error(`${x}: ${timeString(x)} vs ${direct(x)}`);
    }),
    { numRuns: 500 },
  );
  t.equal(timeString(1_700_000_000_123_456_789n), '2023-11-14 22:13:20');
  t.equal(timeString(-1_000_000n), '1969-12-31 23:59:59');
});

t.test('modeString per type and mode, setuid, setgid and sticky included', async (t) => {
  const types: NodeType[] = ['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket'];
  t.equal(modeString(node('a', 'file', { mode: 0o4755 })), '-rwsr-xr-x');
  t.equal(modeString(node('a', 'dir', { mode: 0o1777 })), 'drwxrwxrwt');
  t.equal(modeString(node('a', 'file', { mode: 0o2644 })), '-rw-r-Sr--');
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.integer({ min: 0, max: 0o7777 }), (type, mode) => {
      const s = modeString(node('a', type, { mode }));
      if (s.length !== 10 || s !== modeString(node('b', type, { mode }))) throw new Error(s);
      for (let i = 0; i < 9; i++) {
        const set = ((mode >> (8 - i)) & 1) === 1;
        const c = s[i + 1] ?? '';
        if (set !== (c !== '-' && c !== 'S' && c !== 'T')) throw new Error(`${mode.toString(8)}: ${s}`);
      }
    }),
  );
});
