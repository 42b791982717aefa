/** The hostile-repository matrix: commands against damaged copies of the base repository, bounded in time and memory. */
import { availableParallelism } from 'node:os';
import type { Test } from 'tap';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Store } from './cases.js';
import type { Layout } from './fixture.js';
import { HAS_GNU_TIME, runLimited, type LimitedRun } from './run-limited.js';
import { fingerprint } from './sentinel.js';

/** A command must end within this… */
export const TIME_LIMIT_MS = 10_000;
/** …and never hold more than this much memory (peak RSS). */
export const MEMORY_LIMIT_KIB = 300 * 1024;

/**
 * What a command does with a damaged repository, as one letter:
 * F exit 1, a line on stderr names the bad file;  W exit 0 (the damage is passed over), a line on stderr names it;
 * R exit 0 and its report (stdout) names it;      C exit 1, its report names it (check: problems are its output);
 * L exit 11 (locked) naming it;                   K exit 12 (no key opens) naming it;
 * O exit 0, the damage is not met (the command does not read that file);
 * - not run against this case (see Case.commands).
 */
export const OUTCOMES = 'FWRCLKO-';

export interface Command {
  readonly name: string;
  readonly args: (r: RunPlace, l: Layout) => string[];
}

/** Where one run happens: the repository's URL, a restore target and the backup source. */
export interface RunPlace {
  readonly url: string;
  readonly target: string;
  readonly src: string;
}

export const COMMANDS: readonly Command[] = [
  { name: 'snapshots', args: (r) => ['snapshots', r.url] },
  { name: 'ls', args: (r) => ['ls', r.url, 'latest'] },
  { name: 'diff', args: (r, l) => ['diff', r.url, l.snapA.slice(0, 8), l.snapB.slice(0, 8)] },
  { name: 'restore', args: (r) => ['restore', r.url, 'latest', '--target', r.target] },
  { name: 'check', args: (r) => ['check', r.url] },
  { name: 'check --read-data', args: (r) => ['check', r.url, '--read-data'] },
  { name: 'stats', args: (r) => ['stats', r.url] },
  { name: 'forget --prune', args: (r) => ['forget', r.url, '--keep-last', '1', '--prune'] },
  { name: 'prune', args: (r) => ['prune', r.url] },
  { name: 'repair index', args: (r) => ['repair', 'index', r.url] },
  { name: 'repair snapshots', args: (r) => ['repair', 'snapshots', r.url] },
  { name: 'key list', args: (r) => ['key', 'list', r.url] },
  { name: 'unlock', args: (r) => ['unlock', r.url] },
  { name: 'backup', args: (r) => ['backup', r.url, r.src] },
];

/** A damaged copy for one run, made by the backend under test. */
export interface Prepared {
  readonly place: RunPlace;
  readonly store: Store;
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

export interface Result {
  readonly case: Case;
  readonly command: Command;
  readonly run: LimitedRun;
  readonly outcome: string;
  /** Directories outside the repository whose fingerprint changed. */
  readonly changedOutside: string[];
}

/** The letter of OUTCOMES a run shows (or T timeout, S signal, f/l/k an exit code without a line naming the file, or the code). */
export function classify(run: LimitedRun, names: string): string {
  if (run.timedOut) return 'T';
  if (run.code === null) return 'S';
  const inErr = run.stderr.includes(names);
  const inOut = run.stdout.includes(names);
  switch (run.code) {
    case 0:
      return inErr ? 'W' : inOut ? 'R' : 'O';
    case 1:
      return inErr ? 'F' : inOut && /check found/.test(run.stderr) ? 'C' : 'f';
    case 11:
      return inErr ? 'L' : 'l';
    case 12:
      return inErr ? 'K' : 'k';
    default:
      return String(run.code);
  }
}

/** Runs `jobs` with at most `limit` at once, in order of start. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Which commands run against a case: `names`, or all of them. */
export const commandsNamed = (names: readonly string[] | undefined): readonly Command[] =>
  names === undefined ? COMMANDS : COMMANDS.filter((c) => names.includes(c.name));

/**
 * Runs the commands `pick` gives for each case, each against a fresh damaged copy, `parallel` runs at a time.
 */
export async function runMatrix(
  cases: readonly Case[],
  pick: (c: Case) => readonly Command[],
  layout: Layout,
  prepare: (job: string) => Promise<Prepared>,
  workDir: string,
  parallel = availableParallelism() + 1,
): Promise<Result[]> {
  const jobs = cases.flatMap((c, i) => pick(c).map((command, k) => ({ c, command, job: `${i}-${k}` })));
  return pool(jobs, parallel, async ({ c, command, job }) => {
    const p = await prepare(job);
    try {
      await c.damage(p.store, layout);
      const watched = [p.store.outside, p.place.src];
      const before = await Promise.all(watched.map(fingerprint));
      const memFile = join(workDir, `${job}.mem`);
      const run = await runLimited(command.args(p.place, layout), p.env, TIME_LIMIT_MS, memFile);
      const after = await Promise.all(watched.map(fingerprint));
      const changedOutside = watched.filter((_, i) => before[i]!.join('\n') !== after[i]!.join('\n'));
      return { case: c, command, run, outcome: classify(run, c.names(layout)), changedOutside };
    } finally {
      await p.cleanup();
    }
  });
}

/** An environment for the CLI: the password, a cheap KDF, the bundle (fast start), no coverage files. */
export function cliEnv(cacheDir: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...extra };
  for (const k of ['ROZEN_PASSWORD_FILE', 'NODE_V8_COVERAGE', 'ROZEN_DEBUG']) delete env[k];
  return { ...env, ROZEN_PASSWORD: 'correct horse', ROZEN_KDF_N: '1024', ROZEN_CACHE_DIR: cacheDir, ROZEN_BUNDLE: '1' };
}

/** A fresh directory for one run's repository, cache, restore target and outside files. */
export async function runDir(root: string, job: string): Promise<{ dir: string; outside: string; remove: () => Promise<void> }> {
  const dir = join(root, job);
  const outside = join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  return { dir, outside, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Asserts each result against the expected letters, one subtest per case. */
export function assertMatrix(t: Test, results: readonly Result[], expected: Readonly<Record<string, string>>): void {
  for (const c of new Set(results.map((r) => r.case))) {
    t.test(`${c.name} [${c.area}]`, async (t) => {
      const row = expected[c.name] ?? '';
      t.ok(
        row.length === COMMANDS.length && [...row].every((l) => OUTCOMES.includes(l)),
        `a row of ${COMMANDS.length} letters of ${OUTCOMES} for "${c.name}"`,
      );
      const ran = results.filter((r) => r.case === c);
      const notRun = COMMANDS.filter((cmd) => !ran.some((r) => r.command === cmd)).map((cmd) => cmd.name);
      t.same(
        notRun,
        COMMANDS.filter((_, k) => row[k] === '-').map((cmd) => cmd.name),
        'the commands marked - are the ones not run',
      );
      for (const r of ran) assertRun(t, r, row[COMMANDS.indexOf(r.command)] ?? '?');
    });
  }
}

/** One assertion per run (tap's per-assertion cost adds up over hundreds of runs): the list of what is wrong. */
function assertRun(t: Test, r: Result, want: string): void {
  const peak = r.run.peakKiB;
  const wrong = [
    ...(r.outcome === want ? [] : [`outcome ${r.outcome}, expected ${want}`]),
    ...(r.run.timedOut ? [`still running after ${TIME_LIMIT_MS} ms: killed`] : []),
    ...(HAS_GNU_TIME && !((peak ?? Infinity) < MEMORY_LIMIT_KIB) ? [`peak RSS ${peak} KiB, over ${MEMORY_LIMIT_KIB}`] : []),
    ...r.changedOutside.map((dir) => `${dir} changed: it is outside the repository`),
    ...(/^\s+at |unexpected error|Assertion failed/m.test(r.run.stderr) ? ['a crash or stack trace on stderr'] : []),
  ];
  const what = `${r.command.name}: ${r.outcome}, exit ${r.run.code}${r.run.signal ? ` (${r.run.signal})` : ''} in ${r.run.ms} ms, ${peak} KiB`;
  t.same(wrong, [], what, wrong.length === 0 ? {} : { stdout: r.run.stdout.slice(0, 2000), stderr: r.run.stderr.slice(0, 2000) });
}
