/** Printing for commands: results to stdout, diagnostics to stderr, one line each. */

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Lines for stdout gathered into writes of about `limit` characters: stdout to a file, a pipe or a terminal is written
 * synchronously, so a write per line costs a system call per line, which dominated a search printing many matches.
 * Call flush() before anything else is printed and when done.
 */
export class LineBuffer {
  #lines: string[] = [];
  #chars = 0;

  constructor(
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    private readonly limit = 64 * 1024,
  ) {}

  add(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length + 1;
    if (this.#chars >= this.limit) this.flush();
  }

  flush(): void {
    if (this.#lines.length === 0) return;
    const text = `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    this.#chars = 0;
    this.write(text);
  }
}

export function warn(line: string): void {
  process.stderr.write(`rozen: ${line}\n`);
}

export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}
