/** What identifies this build of Rozen: its version, the repository format, the Node.js it runs on, the native addon. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { addon, addonPath } from '../core/addon.js';
import { REPO_FORMAT_VERSION } from '../repo/config.js';

/** Rozen's version (package.json's; a test keeps the two equal). */
export const ROZEN_VERSION = '0.1.0';

/** The addon as built: its file, a hash of it, when it was written, and what it says it was built with. */
export interface AddonInfo {
  readonly path: string;
  readonly sha256?: string;
  readonly built?: string;
  readonly zstd?: string;
  readonly compiler?: string;
  readonly openssl?: string;
  readonly napi?: number;
  /** Why the addon could not be read or loaded; the other fields are then partly or wholly missing. */
  readonly error?: string;
}

export interface VersionInfo {
  readonly rozen: string;
  readonly repositoryFormat: number;
  readonly node: { readonly version: string; readonly platform: string; readonly arch: string; readonly napi: string };
  readonly addon: AddonInfo;
}

interface BuildInfo {
  readonly zstd: string;
  readonly compiler: string;
  readonly openssl: string;
  readonly napi: number;
}

export function versionInfo(): VersionInfo {
  return {
    rozen: ROZEN_VERSION,
    repositoryFormat: REPO_FORMAT_VERSION,
    node: { version: process.version, platform: process.platform, arch: process.arch, napi: process.versions.napi ?? '?' },
    addon: addonInfo(),
  };
}

function addonInfo(): AddonInfo {
  const path = addonPath();
  try {
    const file = { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), built: statSync(path).mtime.toISOString() };
    const native = addon() as { buildInfo?: () => BuildInfo };
    if (typeof native.buildInfo !== 'function') return { path, ...file, error: 'the addon predates buildInfo(): rebuild it' };
    return { path, ...file, ...native.buildInfo() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      typeof e.code === 'string' && e.code.startsWith('E') ? `cannot read it: ${e.code}` : e instanceof Error ? e.message : String(err);
    return { path, error: why };
  }
}
