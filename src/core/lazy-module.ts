/**
 * A CommonJS package loaded on first use rather than with the program. Loading zstd-napi was a delay that
 * every command paid before it started, though most need it late or never.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A function returning the package `name`, loaded (once) when first called. */
export function lazyModule<T>(name: string): () => T {
  let cached: T | undefined;
  return () => (cached ??= load(name) as T);
}
