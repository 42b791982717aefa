/** Waiting for an event a test has no callback for: its condition polled until it holds, or a failure naming what never came. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() >= deadline) throw new Error(`gave up after ${timeoutMs} ms waiting until ${what}`);
    await sleep(everyMs);
  }
}
