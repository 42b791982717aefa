// Fails the test run when coverage of src/ (measured by tap over the in-process tests) falls
// below the project's thresholds. The CLI end-to-end tests run dist/ in child processes and
// are not counted here, so these figures understate what the suite exercises.
import { readFileSync } from 'node:fs';

const THRESHOLDS = { lines: 90, statements: 90, functions: 88, branches: 85 };
const summary = JSON.parse(readFileSync(new URL('../.tap/report/coverage-summary.json', import.meta.url), 'utf8')).total;
const failed = Object.entries(THRESHOLDS).filter(([k, min]) => summary[k].pct < min);
for (const [k, min] of Object.entries(THRESHOLDS)) console.log(`coverage ${k}: ${summary[k].pct}% (minimum ${min}%)`);
if (failed.length > 0) {
  console.error(`coverage below the threshold for ${failed.map(([k]) => k).join(', ')}`);
  process.exit(1);
}
