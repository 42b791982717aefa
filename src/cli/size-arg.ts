/** Sizes given on the command line: a number with an optional K, M, G or T (powers of 1024), e.g. 512M or 2G. */
import { RozenError } from '../core/errors.js';

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new RozenError('InvalidArgument', `invalid size ${text} (examples: 512M, 2G)`);
  const exp = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** exp);
}
