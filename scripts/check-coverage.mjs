// Fails the test run when coverage of src/ falls below the project's thresholds. tap counts the
// in-process tests and the CLI's child processes too (their dist/ modules map back to src/ through
// the source maps; test/helpers/cli.ts makes them run the modules rather than the bundle).
import { readFileSync } from 'node:fs';

const THRESHOLDS = { lines: 90, statements: 90, functions: 88, branches: 85 };
const summary = JSON.parse(readFileSync(new URL('../.tap/report/coverage-summary.json', import.meta.url), 'utf8')).total;
const failed = Object.entries(THRESHOLDS).filter(([k, min]) => summary[k].pct < min);
for (const [k, min] of Object.entries(THRESHOLDS)) console.log(`coverage ${k}: ${summary[k].pct}% (minimum ${min}%)`);
if (failed.length > 0) {
  console.error(`coverage below the threshold for ${failed.map(([k]) => k).join(', ')}`);
  process.exit(1);
}
