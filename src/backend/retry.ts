/** Retries an operation with exponential backoff and jitter while its errors are transient. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total tries, including the first. */
  readonly attempts: number;
  /** Delay before the second try; doubles each time, with jitter. */
  readonly baseMs: number;
  readonly maxMs: number;
  readonly isRetryable: (err: unknown) => boolean;
  readonly random?: () => number;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !policy.isRetryable(err)) throw err;
      await sleep(backoffMs(policy, attempt));
    }
  }
}

/** Full delay grows as baseMs·2^(attempt-1), capped, and is drawn between half and all of it. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const full = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(full * (0.5 + (policy.random ?? Math.random)() / 2));
}
