/** Notices a mount going away by other hands (`fusermount -u`, `umount`) by polling /proc/self/mounts. */
import { promises as fsp } from 'node:fs';

/** Whether `mountpoint` is listed in the mount table (paths there escape space, tab, newline, backslash in octal). */
export async function isMounted(mountpoint: string, table = '/proc/self/mounts'): Promise<boolean> {
  const text = await fsp.readFile(table, 'utf8');
  return text.split('\n').some((line) => unescapeMountPath(line.split(' ')[1] ?? '') === mountpoint);
}

export function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Calls `onGone` once when the mount disappears; returns a function that stops watching. */
export function watchMount(mountpoint: string, intervalMs: number, onGone: () => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    isMounted(mountpoint)
      .then((mounted) => {
        if (!mounted) {
          clearInterval(timer);
          onGone();
        }
      }, () => undefined)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
