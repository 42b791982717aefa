/** What each command must do with each damaged repository: one letter of OUTCOMES per command of COMMANDS (matrix.ts). */
import { COMMANDS, type Result } from './matrix.js';

type Table = Readonly<Record<string, string>>;

//                                                                   snapshots
//                                                                   |ls
//                                                                   ||diff
//                                                                   |||restore
//                                                                   ||||check
//                                                                   |||||check --read-data
//                                                                   ||||||stats
//                                                                   |||||||forget --prune
//                                                                   ||||||||prune
//                                                                   |||||||||repair index
//                                                                   ||||||||||repair snapshots
//                                                                   |||||||||||key list
//                                                                   ||||||||||||unlock
//                                                                   |||||||||||||backup
const local: Table = {
  'config truncated': 'F---F----F----',
  'config bit flipped': 'F---F----F----',
  'config empty': 'F---F----F----',
  'config sparse 3 GiB': 'FFFFFFFFFFFFFF',
  'config plain msgpack': 'F---F----F----',
  // keys/ and locks/ (src/repo/keys.ts, lock.ts): bad keys are passed over, a bad lock stops exclusive commands.
  'key truncated': 'K----------KK-',
  'key sparse 3 GiB': 'K----------K-K',
  'extra key with N = 2^40': 'O----------W--',
  'extra key of random bytes': '-----------W-O',
  'lock of random bytes': 'O---W---L---W-',
  'lock sparse 3 GiB': '----W---L---WW',
  'lock plain msgpack': '----W---L---W-',
  // An unreadable snapshot record fails what needs every snapshot (backup too: it chooses its parent among them);
  // `snapshots` still lists the others, `repair snapshots` reports it and --forget removes it.
  'snapshot bit flipped': 'F---C-----R---',
  'snapshot truncated': 'F---C-----R---',
  'snapshot sparse 3 GiB': 'FFFFCCFFFOROOF',
  'snapshot A under the name of B': 'F-F-C-----R---',
  'snapshot of random bytes named by its hash': 'FF--------R---',
  'snapshot empty named by its hash': 'F---C-----R---',
  // An unreadable index file fails every lookup (not the commands that need none); `repair index` replaces it.
  'index bit flipped': '-F--C----W----',
  'index truncated': '-F--C----W----',
  'index sparse 3 GiB': 'OFFFCCFFFWFOOF',
  'index 1 under the name of index 2': '-F--C----W---F',
  'index of random bytes named by its hash': '---FC----W---F',
  // Pack damage is met only by what reads that part of the pack; authenticated blobs still restore, and prune
  // copies them out of a grown pack (it reads the indexed size). A tree that does not open is named with its pack:
  // prune and forget --prune must name it too (src/lifecycle/prune.ts says only how many blobs are missing).
  'unindexed sparse 3 GiB pack whose tail claims a 3 GiB header': 'OOOOWWOOOWOOOO',
  'pack tail length 2^32 - 1': '---O-C---W----',
  'pack sparse 3 GiB (data pack grown)': '---OCC--OW----',
  'tree pack sparse 3 GiB (repacked by prune)': '-O-----O------',
  'pack truncated': '----CC---W----',
  'pack header bit flipped': '-----C--OW----',
  'tree pack blob bit flipped': 'OFFFCCWFFOROOO',
  'tree pack 1 under the name of tree pack 2': '-F--C----O----',
  // Links and special files (src/backend/local.ts): an error naming them, never followed.
  'snapshot as a link to a file outside': 'F---F--F--F---',
  'tree pack as a link to a file outside': '-F--F--FFF----',
  'data pack replaced by a FIFO': '---F-F--FF----',
};

const s3: Table = {
  'config sparse 3 GiB': 'F--------F----',
  'key sparse 3 GiB': '-----------K--',
  'lock sparse 3 GiB': '----W---L-----',
  'snapshot sparse 3 GiB': 'F---C-----R--F',
  'snapshot A under the name of B': 'F---------R---',
  'index sparse 3 GiB': '-F--C----W---F',
  'unindexed sparse 3 GiB pack whose tail claims a 3 GiB header': '----W---OW----',
  'pack sparse 3 GiB (data pack grown)': '---O-C---W----',
  'tree pack sparse 3 GiB (repacked by prune)': '-------O------',
};

export const EXPECTED = { local, s3 } as const;

/** The outcomes seen, as rows like the tables above (for the test log). */
export function matrixTable(results: readonly Result[]): string {
  const header = `${''.padEnd(64)} ${COMMANDS.map((c) => c.name.slice(0, 2)).join(' ')}`;
  const rows = new Map<string, string[]>();
  for (const r of results) {
    const row = rows.get(r.case.name) ?? COMMANDS.map(() => '- ');
    row[COMMANDS.indexOf(r.command)] = r.outcome.padEnd(2);
    rows.set(r.case.name, row);
  }
  return [header, ...[...rows].map(([name, row]) => `${name.padEnd(64)} ${row.join(' ')}`)].join('\n');
}

/** CPU time of all the runs together (what the suite costs a loaded machine), in whole seconds. */
export function cpuSeconds(results: readonly Result[]): number {
  return Math.round(results.reduce((sum, r) => sum + (r.run.cpuSeconds ?? 0), 0));
}
