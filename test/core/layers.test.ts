import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers from the bottom up (docs/DESIGN.md, "Layers"): a file may import its own folder or a lower layer only. */
const RANK: Record<string, number> = {
  core: 0,
  backend: 1,
  codec: 2,
  crypto: 2,
  cas: 2,
  repo: 3,
  snapshot: 4,
  lifecycle: 5,
  fuse: 5,
  cli: 6,
  '.': 7,
};
const src = fileURLToPath(new URL('../../src/', import.meta.url));

function layerOf(file: string): string {
  const rel = relative(src, file);
  return rel.includes('/') ? rel.split('/')[0]! : '.';
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

t.test('imports only point downwards', async (t) => {
  const bad: string[] = [];
  for (const file of sources(src)) {
    const from = layerOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
      const target = resolve(dirname(file), (m[1] ?? m[2])!);
      const to = layerOf(target);
      if (to !== from && !(RANK[to]! < RANK[from]!)) bad.push(`${relative(src, file)} imports ${relative(src, target)}`);
    }
  }
  t.same(bad, []);
});
