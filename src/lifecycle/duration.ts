/** Calendar durations such as `1y6m`, `2w`, `36h` (restic's --keep-within syntax, plus weeks). */
import { invalidArgument } from '../core/errors.js';

export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

const PART = /(\d+)([ymwdh])/gy;

export function parseDuration(text: string): Duration {
  const d = { years: 0, months: 0, days: 0, hours: 0 };
  PART.lastIndex = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = PART.exec(text)) !== null) {
    const n = Number(m[1]);
    if (m[2] === 'y') d.years += n;
    else if (m[2] === 'm') d.months += n;
    else if (m[2] === 'w') d.days += 7 * n;
    else if (m[2] === 'd') d.days += n;
    else d.hours += n;
    consumed = PART.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw invalidArgument(`invalid duration "${text}" (use e.g. 1y2m3d4h, 2w, 90d)`);
  }
  return d;
}

/** `time` minus the duration, in calendar terms (local time). */
export function subtractDuration(time: Date, d: Duration): Date {
  const t = new Date(time.getTime());
  t.setFullYear(t.getFullYear() - d.years, t.getMonth() - d.months, t.getDate() - d.days);
  t.setHours(t.getHours() - d.hours);
  return t;
}

/** The duration in milliseconds, taking months as 30 days and years as 365 (for grace periods). */
export function durationMs(d: Duration): number {
  const hour = 3600_000;
  return ((d.years * 365 + d.months * 30 + d.days) * 24 + d.hours) * hour;
}
