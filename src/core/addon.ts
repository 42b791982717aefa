/** Loads Rozen's native addon (build/Release/rozen_native.node, built by node-gyp from src/native/). */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RozenError } from './errors.js';

const ADDON_PATH = '../../build/Release/rozen_native.node';
let cached: unknown;

/** Where the addon file is looked for (`rozen version` names it and hashes it). */
export function addonPath(): string {
  return fileURLToPath(new URL(ADDON_PATH, import.meta.url));
}

/** The addon's exports; each layer types the functions it uses. Throws a clear error when it is missing. */
export function addon(): unknown {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require(ADDON_PATH);
  } catch (cause) {
    throw new RozenError(
      'Unsupported',
      'the native addon build/Release/rozen_native.node is missing or broken; build it with `npx node-gyp rebuild`',
      { cause },
    );
  }
  return cached;
}
