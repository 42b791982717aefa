import fc from 'fast-check';
import t from 'tap';
import { MAX_RECORDED_PATH_BYTES, recordedPaths } from '../../src/cli/files-from.js';

const under = (p: string, top: string): boolean => top === '/' || p === top || p.startsWith(`${top}/`);

t.test('recorded paths: each once, none below another, in the order given', async (t) => {
  t.same(recordedPaths(['/a/b', '/a', '/a-b', '/a/b/c', '/a']), ['/a', '/a-b']);
  t.same(recordedPaths(['/x/y', '/', '/z']), ['/']);
  t.same(recordedPaths(['/b', '/a']), ['/b', '/a']);
  const segment = fc.constantFrom('a', 'b', 'a-b', 'a.b', 'ab');
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
  fc.assert(
    fc.property(fc.array(path, { maxLength: 30 }), (paths) => {
      const kept = recordedPaths(paths);
      // The model: every path is covered by exactly the kept ones, none of which covers another.
      return (
        paths.every((p) => kept.some((k) => under(p, k))) &&
        kept.every((k) => paths.includes(k) && kept.every((o) => o === k || !under(k, o))) &&
        new Set(kept).size === kept.length
      );
    }),
  );
});

t.test('a list too large for a snapshot record is refused before anything is read', async (t) => {
  const many = Array.from({ length: MAX_RECORDED_PATH_BYTES / 20 }, (_, i) => `/data/some/longer/dir/file-${i}.txt`);
  t.throws(() => recordedPaths(many), { code: 'InvalidArgument', message: /too many for one snapshot to record/ });
  t.same(recordedPaths([...many, '/data']), ['/data'], 'unless they lie under one listed directory');
});
