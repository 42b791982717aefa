/** Reads argv as commander will: which tokens are options, which are their values, which are operands. */
import type { Command, Option } from 'commander';

export interface Operand {
  readonly index: number;
  readonly value: string;
}

export interface Scan {
  /** Non-option tokens, with their place in the scanned tokens. */
  readonly operands: readonly Operand[];
  /** An option none of the commands knows came before the last operand found (commander will refuse it). */
  readonly unknown: boolean;
  /** -h or --help came before `--` (commander will print help and do nothing else). */
  readonly help: boolean;
}

const isOption = (token: string): boolean => token.length > 1 && token.startsWith('-');
const takesValue = (o: Option): boolean => o.required || o.optional;

/** The options commander recognises while parsing `cmd`'s arguments: its own and its ancestors'. */
function knownOptions(cmd: Command): Option[] {
  const all: Option[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) all.push(...c.options);
  return all;
}

/** How many tokens after `tokens[i]` an option that expects values takes, as commander counts them. */
function valueTokens(o: Option, tokens: readonly string[], i: number): number {
  const next = tokens[i + 1];
  let n = o.required ? 1 : next !== undefined && !isOption(next) ? 1 : 0;
  if (o.variadic) while (i + 1 + n < tokens.length && !isOption(tokens[i + 1 + n] ?? '-')) n++;
  return n;
}

/** Tokens that `tokens[i]`, an option, uses up after itself; undefined when no known option matches it. */
function optionSpan(known: readonly Option[], tokens: readonly string[], i: number): number | undefined {
  const token = tokens[i] ?? '';
  const exact = known.find((o) => o.long === token || o.short === token);
  if (exact) return takesValue(exact) ? valueTokens(exact, tokens, i) : 0;
  const eq = /^(--[^=]+)=/.exec(token);
  if (eq) return known.some((o) => o.long === eq[1] && takesValue(o)) ? 0 : undefined;
  if (token.startsWith('--')) return undefined;
  // A group of short options (-lh), of which one may take the rest of the token, or the next token, as its value.
  for (let c = 1; c < token.length; c++) {
    const o = known.find((k) => k.short === `-${token[c]}`);
    if (!o) return undefined;
    if (takesValue(o)) return c + 1 < token.length ? 0 : valueTokens(o, tokens, i);
  }
  return 0;
}

/** The operands in `tokens` from `from` on, as the arguments of `cmd`; at most `limit` of them. */
export function scanOperands(cmd: Command, tokens: readonly string[], from: number, limit = Infinity): Scan {
  const known = knownOptions(cmd);
  const operands: Operand[] = [];
  let unknown = false;
  let help = false;
  for (let i = from; i < tokens.length && operands.length < limit; i++) {
    const token = tokens[i] ?? '';
    if (token === '--') {
      for (let j = i + 1; j < tokens.length && operands.length < limit; j++) operands.push({ index: j, value: tokens[j] ?? '' });
      break;
    }
    if (!isOption(token)) {
      operands.push({ index: i, value: token });
      continue;
    }
    if (token === '-h' || token === '--help') help = true;
    const span = optionSpan(known, tokens, i);
    if (span === undefined) unknown = true;
    else i += span;
  }
  return { operands, unknown, help };
}
