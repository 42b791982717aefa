/** Unmounts on SIGINT/SIGTERM, so a foreground `rozen mount` exits cleanly (status 0) when stopped. */
import type { MountHandle } from './mount.js';

export function unmountOnSignals(
  mount: Pick<MountHandle, 'unmount' | 'closed'>,
  log: (line: string) => void,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): () => void {
  const onSignal = (): void => {
    mount.unmount().catch((err: unknown) => log(`rozen mount: ${err instanceof Error ? err.message : String(err)}`));
  };
  for (const s of signals) process.on(s, onSignal);
  const dispose = (): void => {
    for (const s of signals) process.off(s, onSignal);
  };
  void mount.closed.then(dispose);
  return dispose;
}
