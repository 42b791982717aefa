import t from 'tap';
import { zipNameProblem } from '../../src/snapshot/dump/zip-archive.js';

t.test('names zip would read as another path are refused, with the reason', async (t) => {
  t.equal(zipNameProblem(Buffer.from('dir/file.txt')), undefined);
  t.equal(zipNameProblem(Buffer.from('dir/..hidden')), undefined, '.. only as a whole part');
  t.match(zipNameProblem(Buffer.from('a\\b')), /\\/);
  t.match(zipNameProblem(Buffer.from('d/../x')), /another path/);
  t.match(zipNameProblem(Buffer.from('c:notes')), /another path/);
  t.match(zipNameProblem(Buffer.from([0x66, 0xff, 0x6f])), /UTF-8/);
});
