/** Loads fuse-native, falling back to the libfuse copy that fuse-shared-library ships. */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { RozenError } from '../core/errors.js';
import type { FuseBinding, FuseConstructor } from './fuse-native-types.js';

export const INSTALL_HINT = 'apt-get install -y libfuse2 fuse';

export interface LoadedFuse {
  readonly Fuse: FuseConstructor;
  readonly binding: FuseBinding;
}

/** What loading touches, injectable so the fallback can be tested. */
export interface LoaderDeps {
  requireFuse(): FuseConstructor;
  requireBinding(): FuseBinding;
  preloadLibfuse(): void;
}

const require = createRequire(import.meta.url);

export const defaultLoaderDeps: LoaderDeps = {
  requireFuse: () => require('fuse-native') as FuseConstructor,
  requireBinding() {
    const dir = path.dirname(require.resolve('fuse-native/package.json'));
    const gypBuild = createRequire(path.join(dir, 'index.js'))('node-gyp-build') as (d: string) => FuseBinding;
    return gypBuild(dir);
  },
  preloadLibfuse() {
    const { lib } = require('fuse-shared-library') as { lib: string };
    const flags = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL;
    try {
      process.dlopen({ exports: {} }, lib, flags);
    } catch {
      // "did not self-register": libfuse is not a Node addon, but it is now loaded globally.
    }
  },
};

let cached: LoadedFuse | undefined;

/** fuse-native and its native binding; throws RozenError FuseUnavailable with the install hint. */
export function loadFuse(deps: LoaderDeps = defaultLoaderDeps): LoadedFuse {
  if (deps === defaultLoaderDeps && cached) return cached;
  const loaded = loadWithFallback(deps);
  if (deps === defaultLoaderDeps) cached = loaded;
  return loaded;
}

function loadWithFallback(deps: LoaderDeps): LoadedFuse {
  try {
    return loadOnce(deps);
  } catch (err) {
    if (!isLibfuseError(err)) throw fuseUnavailable('fuse-native could not be loaded', err);
  }
  try {
    deps.preloadLibfuse();
    return loadOnce(deps);
  } catch (err) {
    throw fuseUnavailable('libfuse could not be loaded', err);
  }
}

function loadOnce(deps: LoaderDeps): LoadedFuse {
  return { Fuse: deps.requireFuse(), binding: deps.requireBinding() };
}

function isLibfuseError(err: unknown): boolean {
  return err instanceof Error && /libfuse/i.test(err.message);
}

export function fuseUnavailable(what: string, cause?: unknown): RozenError {
  const detail = cause instanceof Error ? `: ${cause.message.split('\n')[0] ?? ''}` : '';
  return new RozenError('FuseUnavailable', `${what}${detail}; install FUSE with: ${INSTALL_HINT}`, { cause });
}
