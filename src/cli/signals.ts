/** Ctrl-C and SIGTERM as an AbortSignal, so long commands stop cleanly (exit 130). */

export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = (): void => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write('rozen: interrupted, finishing what was written so far (press Ctrl-C again to quit at once)\n');
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
