/** Fault-injecting wrapper around another backend: fails, truncates, corrupts or delays chosen calls. */
import { setTimeout as sleep } from 'node:timers/promises';
import { RozenError } from '../core/errors.js';
import type { ByteRange } from '../core/types.js';
import type { Backend, ObjectInfo, PutSource } from './backend.js';
import { collect } from './collect.js';

export type FaultOp = 'get' | 'put' | 'list' | 'stat' | 'delete' | 'rename';

export interface FaultRule {
  readonly op: FaultOp | '*';
  /** Only calls whose name (or rename target) matches count. */
  readonly match?: RegExp;
  /** The first matching call to affect, 1-based (default 1). */
  readonly nth?: number;
  /** How many matching calls from the nth on are affected (default 1 when nth is set, else all). */
  readonly times?: number;
  /**
   * fail: throw BackendError. delay: wait delayMs, then run the call.
   * truncate: put stores half the data then throws; get returns half the bytes.
   * corrupt: get returns the data with one byte flipped; put stores it so.
   * truncate and corrupt fail the call on other operations.
   */
  readonly action: 'fail' | 'truncate' | 'corrupt' | 'delay';
  readonly delayMs?: number;
}

export interface FaultCall {
  readonly op: FaultOp;
  readonly name: string;
  readonly to?: string;
  readonly range?: ByteRange;
}

interface RuleState {
  readonly rule: FaultRule;
  seen: number;
  fired: number;
}

type Action = FaultRule['action'];

export class FaultyBackend implements Backend {
  readonly location: string;
  /** Every call made through this wrapper, in order. */
  readonly calls: FaultCall[] = [];
  private rules: RuleState[] = [];

  constructor(readonly inner: Backend) {
    this.location = inner.location;
  }

  addRule(rule: FaultRule): void {
    this.rules.push({ rule, seen: 0, fired: 0 });
  }

  clearRules(): void {
    this.rules = [];
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Calls made so far for one operation, or all of them for '*'. */
  count(op: FaultOp | '*'): number {
    return op === '*' ? this.calls.length : this.calls.filter((c) => c.op === op).length;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    await this.plain(await this.begin({ op: 'list', name: prefix }), { op: 'list', name: prefix });
    yield* this.inner.list(prefix);
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    const call = { op: 'stat', name } as const;
    await this.plain(await this.begin(call), call);
    return this.inner.stat(name);
  }

  async get(name: string, range?: ByteRange, into?: Uint8Array): Promise<Uint8Array> {
    const call: FaultCall = range === undefined ? { op: 'get', name } : { op: 'get', name, range };
    const action = await this.begin(call);
    if (action === 'fail') throw injected(call);
    const data = await this.inner.get(name, range, into);
    if (action === 'truncate') return data.slice(0, Math.floor(data.byteLength / 2));
    if (action === 'corrupt') return flipOneByte(data);
    return data;
  }

  async put(name: string, source: PutSource): Promise<void> {
    const call = { op: 'put', name } as const;
    const action = await this.begin(call);
    if (action === 'fail') throw injected(call);
    if (action === 'truncate') {
      const data = await collect(source);
      await this.inner.put(name, data.slice(0, Math.floor(data.byteLength / 2)));
      throw injected(call);
    }
    if (action === 'corrupt') return this.inner.put(name, flipOneByte(await collect(source)));
    return this.inner.put(name, source);
  }

  async rename(from: string, to: string): Promise<void> {
    const call = { op: 'rename', name: from, to } as const;
    await this.plain(await this.begin(call), call);
    return this.inner.rename(from, to);
  }

  async delete(name: string): Promise<void> {
    const call = { op: 'delete', name } as const;
    await this.plain(await this.begin(call), call);
    return this.inner.delete(name);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Records the call, applies a delay if one fires, and returns the action that fired. */
  private async begin(call: FaultCall): Promise<Action | undefined> {
    this.calls.push(call);
    let chosen: RuleState | undefined;
    for (const state of this.rules) {
      if (!matches(state.rule, call)) continue;
      state.seen += 1;
      if (chosen === undefined && fires(state)) chosen = state;
    }
    if (chosen === undefined) return undefined;
    chosen.fired += 1;
    if (chosen.rule.action === 'delay') await sleep(chosen.rule.delayMs ?? 10);
    return chosen.rule.action;
  }

  /** For operations that return no bytes, every action but delay is a failure. */
  private async plain(action: Action | undefined, call: FaultCall): Promise<void> {
    if (action !== undefined && action !== 'delay') throw injected(call);
  }
}

function matches(rule: FaultRule, call: FaultCall): boolean {
  if (rule.op !== '*' && rule.op !== call.op) return false;
  if (rule.match === undefined) return true;
  rule.match.lastIndex = 0;
  if (rule.match.test(call.name)) return true;
  rule.match.lastIndex = 0;
  return call.to !== undefined && rule.match.test(call.to);
}

function fires(state: RuleState): boolean {
  const nth = state.rule.nth ?? 1;
  const times = state.rule.times ?? (state.rule.nth === undefined ? Infinity : 1);
  return state.seen >= nth && state.fired < times;
}

function injected(call: FaultCall): RozenError {
  return new RozenError('BackendError', `injected fault: ${call.op} ${call.name}`);
}

function flipOneByte(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data); // a copy, also when data is a Buffer
  const at = Math.floor(out.byteLength / 2);
  if (at < out.byteLength) out[at] = (out[at] ?? 0) ^ 0xff;
  return out;
}
