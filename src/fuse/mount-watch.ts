/** Whether a path is mounted, from the mount table. */
import { promises as fsp } from 'node:fs';

/** Whether `mountpoint` is listed in the mount table (paths there escape space, tab, newline, backslash in octal). */
export async function isMounted(mountpoint: string, table = '/proc/self/mounts'): Promise<boolean> {
  const text = await fsp.readFile(table, 'utf8');
  return text.split('\n').some((line) => unescapeMountPath(line.split(' ')[1] ?? '') === mountpoint);
}

export function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
