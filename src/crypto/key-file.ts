/** Key files (FORMAT §4): the master key wrapped by a password-derived key (scrypt), plus who made it and when. */
import { createHash, randomBytes, scrypt } from 'node:crypto';
import { hostname as osHostname, userInfo } from 'node:os';
import { RozenError, corrupt, invalidArgument } from '../core/errors.js';
import { type MasterKey, decodeMasterKey, encodeMasterKey } from './master-key.js';
import { AAD } from './sealer.js';
import { KEY_BYTES, open, seal } from './xchacha.js';

export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_KDF: KdfParams = Object.freeze({ N: 32768, r: 8, p: 1 });

/** What `key list` shows of a key file without a password. */
export interface KeyFileInfo {
  readonly created: Date;
  readonly hostname: string;
  readonly username: string;
  readonly kdf: KdfParams;
}

export interface CreateKeyFileOptions {
  readonly kdf?: KdfParams;
  readonly hostname?: string;
  readonly username?: string;
  readonly now?: Date;
  readonly random?: (n: number) => Uint8Array;
}

interface KeyFileJson extends KdfParams {
  readonly version: 1;
  readonly kdf: 1;
  readonly salt: string;
  readonly created: string;
  readonly hostname: string;
  readonly username: string;
  readonly data: string;
}

const SALT_BYTES = 32;
/** A larger key file is corrupt: it is read whole before anything else is checked. */
export const MAX_KEY_FILE_BYTES = 4096;
/** Longest hostname or username, as UTF-8; writers cut longer ones at a character boundary. */
const MAX_NAME_BYTES = 255;
/** Refuse parameters that would take more than this much memory (a hostile key file must not exhaust the host). */
const MAX_KDF_MEMORY = 2 ** 30;
/** Refuse more scrypt work (N·r·p) than the largest ROZEN_KDF_N asks for, 2^19 with r = 8, p = 1 (a hostile key file must not hold the CPU either). */
const MAX_KDF_WORK = 2 ** 22;
const KDF_N_ENV = 'ROZEN_KDF_N';

const kdfMemory = ({ N, r, p }: KdfParams): number => 128 * r * (N + p + 2);

/** What trying a password on a key file costs, in units of scrypt's BlockMix over 128 bytes. */
export const kdfWork = ({ N, r, p }: KdfParams): number => N * r * p;

function validKdf(kdf: KdfParams): boolean {
  const { N, r, p } = kdf;
  const ints = [N, r, p].every((v) => Number.isSafeInteger(v) && v >= 1);
  const bounded = r * p < 2 ** 30 && kdfMemory(kdf) <= MAX_KDF_MEMORY && kdfWork(kdf) <= MAX_KDF_WORK;
  return ints && N >= 2 && (N & (N - 1)) === 0 && bounded;
}

/** DEFAULT_KDF, with N taken from ROZEN_KDF_N when set (tests use a small N to stay fast). */
export function defaultKdf(env: NodeJS.ProcessEnv = process.env): KdfParams {
  const raw = env[KDF_N_ENV];
  if (raw === undefined || raw === '') return DEFAULT_KDF;
  const kdf = { ...DEFAULT_KDF, N: Number(raw) };
  if (!validKdf(kdf)) throw invalidArgument(`${KDF_N_ENV} must be a power of two ≥ 2, got ${raw}`);
  return kdf;
}

/** The wrapping key; the caller zeroes it when done. */
function deriveWrapKey(password: string, salt: Uint8Array, kdf: KdfParams): Promise<Uint8Array> {
  const { N, r, p } = kdf;
  const maxmem = kdfMemory(kdf) + 2 ** 20;
  const secret = Buffer.from(password, 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { N, r, p, maxmem }, (err, key) => {
      secret.fill(0);
      if (err) reject(new RozenError('Unsupported', `scrypt failed: ${err.message}`, { cause: err }));
      else resolve(key);
    });
  });
}

/** `text` cut to MAX_NAME_BYTES of UTF-8 at a character boundary. */
function clipName(text: string): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > MAX_NAME_BYTES) break;
    out += ch;
  }
  return out;
}

const nameFits = (v: unknown): v is string => typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= MAX_NAME_BYTES;

/** The key file id: hex SHA-256 of its bytes. */
export function keyFileId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? '';
  }
}

/** A new key file for `master`, opened by `password`; `id` is the hex SHA-256 of `bytes`. */
export async function createKeyFile(
  master: MasterKey,
  password: string,
  opts: CreateKeyFileOptions = {},
): Promise<{ id: string; bytes: Uint8Array }> {
  const kdf = opts.kdf ?? defaultKdf();
  if (!validKdf(kdf)) throw invalidArgument(`invalid scrypt parameters N=${kdf.N} r=${kdf.r} p=${kdf.p}`);
  const salt = (opts.random ?? randomBytes)(SALT_BYTES);
  const wrapKey = await deriveWrapKey(password, salt, kdf);
  const plain = encodeMasterKey(master);
  const data = seal(wrapKey, plain, AAD.key);
  wrapKey.fill(0);
  plain.fill(0);
  const json: KeyFileJson = {
    version: 1,
    kdf: 1,
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    salt: Buffer.from(salt).toString('base64'),
    created: (opts.now ?? new Date()).toISOString(),
    hostname: clipName(opts.hostname ?? osHostname()),
    username: clipName(opts.username ?? currentUser()),
    data: Buffer.from(data).toString('base64'),
  };
  const bytes = new Uint8Array(Buffer.from(JSON.stringify(json), 'utf8'));
  return { id: keyFileId(bytes), bytes };
}

/** The master key if `password` opens this key file, undefined if it does not. Malformed files throw CorruptData. */
export async function openKeyFile(bytes: Uint8Array, password: string): Promise<MasterKey | undefined> {
  const json = parseKeyFile(bytes);
  const wrapKey = await deriveWrapKey(password, Buffer.from(json.salt, 'base64'), json);
  let plain: Uint8Array;
  try {
    plain = open(wrapKey, Buffer.from(json.data, 'base64'), AAD.key);
  } catch {
    return undefined;
  } finally {
    wrapKey.fill(0);
  }
  try {
    return decodeMasterKey(plain);
  } finally {
    plain.fill(0);
  }
}

export function describeKeyFile(bytes: Uint8Array): KeyFileInfo {
  const json = parseKeyFile(bytes);
  return {
    created: new Date(json.created),
    hostname: json.hostname,
    username: json.username,
    kdf: { N: json.N, r: json.r, p: json.p },
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (v: unknown): v is string => typeof v === 'string' && v.length % 4 === 0 && BASE64.test(v);

function parseKeyFile(bytes: Uint8Array): KeyFileJson {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw corrupt(`key file (larger than ${MAX_KEY_FILE_BYTES} bytes)`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw corrupt('key file (not UTF-8 JSON)', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt('key file (not a JSON object)');
  const o = value as Record<string, unknown>;
  if (typeof o['version'] !== 'number' || typeof o['kdf'] !== 'number') throw corrupt('key file (no version)');
  if (o['version'] !== 1) throw new RozenError('Unsupported', `key file version ${String(o['version'])}`);
  if (o['kdf'] !== 1) throw new RozenError('Unsupported', `key file kdf ${String(o['kdf'])}`);
  if (!hasKeyFileFields(o)) throw corrupt('key file (missing or invalid fields)');
  return o;
}

function hasKeyFileFields(o: Record<string, unknown>): o is Record<string, unknown> & KeyFileJson {
  const kdf = { N: o['N'], r: o['r'], p: o['p'] };
  return (
    validKdf(kdf as KdfParams) &&
    isBase64(o['salt']) &&
    Buffer.from(o['salt'], 'base64').length === SALT_BYTES &&
    isBase64(o['data']) &&
    typeof o['created'] === 'string' &&
    !Number.isNaN(Date.parse(o['created'])) &&
    nameFits(o['hostname']) &&
    nameFits(o['username'])
  );
}
