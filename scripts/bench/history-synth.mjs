/**
 * N backups of a tiny tree in one process, through Rozen's modules in dist/ (run `npm run build`
 * first), for scripts/bench/history.sh: the k-th backup is dated k seconds after the first, and the
 * file `changing.txt` gets new content every 10th backup and a new mtime only every 10th (offset 5).
 *
 *   ROZEN_PASSWORD=… node scripts/bench/history-synth.mjs <existing repository> <source dir> <N>
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBackend } from '../../dist/backend/open.js';
import { Repository } from '../../dist/repo/repository.js';
import { runBackup } from '../../dist/snapshot/backup/backup.js';

const [repoUrl, src, count] = process.argv.slice(2);
const n = Number(count);
const repo = await Repository.open(await openBackend(repoUrl), process.env.ROZEN_PASSWORD ?? '');
const base = Date.UTC(2026, 0, 1);
try {
  for (let i = 1; i <= n; i++) {
    const file = join(src, 'changing.txt');
    if (i % 10 === 0) writeFileSync(file, `${i}\n`);
    if (i % 10 === 5) utimesSync(file, 1_700_000_000 + i, 1_700_000_000 + i);
    await runBackup(repo, { paths: [src], now: () => new Date(base + i * 1000) });
  }
} finally {
  await repo.close();
}
