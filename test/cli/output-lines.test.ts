/** LineBuffer: lines reach the writer whole, in order, each once, in few writes of about the limit; nothing is held after flush. */
import t from 'tap';
import fc from 'fast-check';
import { LineBuffer } from '../../src/cli/output.js';

t.test('the writes put together are the lines, each followed by a newline', async () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 200 }), fc.integer({ min: 1, max: 300 }), (lines, limit) => {
      const writes: string[] = [];
      const buf = new LineBuffer((text) => writes.push(text), limit);
      for (const line of lines) buf.add(line);
      const early = writes.join('');
      buf.flush();
      const all = writes.join('');
      const chars = lines.reduce((n, l) => n + l.length + 1, 0);
      return (
        all === lines.map((l) => `${l}\n`).join('') &&
        lines
          .map((l) => `${l}\n`)
          .join('')
          .startsWith(early) &&
        chars - early.length < limit && // what is held back stays under the limit
        writes.every((w, i) => i === writes.length - 1 || w.length >= limit) && // no write smaller than the limit but the last
        !writes.includes('')
      );
    }),
  );
});

t.test('many lines make few writes; flush with nothing held writes nothing', async (t) => {
  const writes: string[] = [];
  const buf = new LineBuffer((text) => writes.push(text), 1024);
  for (let i = 0; i < 10_000; i++) buf.add(`line ${i}`);
  buf.flush();
  buf.flush();
  t.ok(writes.length < 100, `${writes.length} writes for 10,000 lines`);
  t.equal(writes.join('').split('\n').length, 10_001);
});
