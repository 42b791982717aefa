/** The repository configuration record (docs/FORMAT.md §5). */
import { randomBytes } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { getBounded } from '../backend/get-bounded.js';
import type { Sealer } from '../cas/sealer-interface.js';
import { unpackMsg } from '../codec/msgpack.js';
import { corrupt } from '../core/errors.js';
import { toHex } from '../core/ids.js';
import { AAD } from '../crypto/sealer.js';
import { openNamed } from './sealed-file.js';
import { MiB } from '../core/sizes.js';

/** The repository format version this Rozen reads and writes (docs/FORMAT.md). */
export const REPO_FORMAT_VERSION = 1;

export interface RepoConfig {
  readonly version: typeof REPO_FORMAT_VERSION;
  readonly id: string;
  readonly cipher: 1;
  readonly blobHash: 1;
  readonly fileHash: 1;
  readonly chunker: 1;
  readonly chunkMin: number;
  readonly chunkAvg: number;
  readonly chunkMax: number;
  readonly packSize: number;
  readonly largeFile: number;
  readonly degenerateMax: number;
}

/** Largest stored config (FORMAT §5); the record is a few hundred bytes. */
export const MAX_CONFIG_BYTES = 64 * 1024;

export function newConfig(overrides: Partial<Omit<RepoConfig, 'version' | 'id'>> = {}): RepoConfig {
  return {
    version: REPO_FORMAT_VERSION,
    id: toHex(randomBytes(32)),
    cipher: 1,
    blobHash: 1,
    fileHash: 1,
    chunker: 1,
    chunkMin: 512 * 1024,
    chunkAvg: 1 * MiB,
    chunkMax: 8 * MiB,
    packSize: 16 * MiB,
    largeFile: 4 * MiB,
    degenerateMax: 1024 * MiB,
    ...overrides,
  };
}

const INT_FIELDS = ['chunkMin', 'chunkAvg', 'chunkMax', 'packSize', 'largeFile', 'degenerateMax'] as const;

/** Validate a decoded config map; unknown algorithm ids are refused rather than guessed. */
export function parseConfig(value: unknown): RepoConfig {
  if (typeof value !== 'object' || value === null) throw corrupt('config');
  const v = value as Record<string, unknown>;
  if (v['version'] !== REPO_FORMAT_VERSION) throw corrupt(`config (unsupported version ${String(v['version'])})`);
  for (const k of ['cipher', 'blobHash', 'fileHash', 'chunker']) {
    if (v[k] !== 1) throw corrupt(`config (unknown ${k} id ${String(v[k])})`);
  }
  if (typeof v['id'] !== 'string' || !/^[0-9a-f]{64}$/.test(v['id'])) throw corrupt('config (bad id)');
  for (const k of INT_FIELDS) {
    if (!Number.isSafeInteger(v[k]) || (v[k] as number) <= 0) throw corrupt(`config (bad ${k})`);
  }
  return v as unknown as RepoConfig;
}

/** Reads `config` (refused unread when over MAX_CONFIG_BYTES), opens and validates it. */
export async function loadConfig(backend: Backend, sealer: Sealer): Promise<RepoConfig> {
  const stored = await getBounded(backend, 'config', MAX_CONFIG_BYTES);
  return parseConfig(unpackMsg(openNamed(sealer, AAD.config, stored, 'config'), 'config'));
}
