/** Key files: finding the one a password opens, adding, removing and changing passwords; passing over bad ones. */
import type { Backend, ObjectInfo } from '../backend/backend.js';
import { getBounded } from '../backend/get-bounded.js';
import { RozenError, isRozenError } from '../core/errors.js';
import { oneLine } from '../core/one-line.js';
import {
  MAX_KEY_FILE_BYTES,
  type KeyFileInfo,
  createKeyFile,
  describeKeyFile,
  kdfWork,
  keyFileId,
  openKeyFile,
} from '../crypto/key-file.js';
import type { MasterKey } from '../crypto/master-key.js';

export interface KeyInfo {
  readonly id: string;
  readonly created: string;
  readonly hostname: string;
  readonly username: string;
}

/** A well-formed key file whose name is its hash. */
interface KeyFile {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly info: KeyFileInfo;
}

/** A file in keys/ that is passed over: misnamed, oversized, malformed or of an unknown version. */
export interface BadKeyFile {
  readonly name: string;
  readonly reason: string;
}

const PREFIX = 'keys/';
/** Key files read at once. */
const READ_BATCH = 8;

export async function listKeyIds(backend: Backend): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of backend.list(PREFIX)) ids.push(o.name.slice(PREFIX.length));
  return ids.sort();
}

/** One key file checked without a password; undefined when it vanished since the listing. */
async function readKeyFile(backend: Backend, o: ObjectInfo): Promise<KeyFile | BadKeyFile | undefined> {
  const bad = (reason: string): BadKeyFile => ({ name: o.name, reason });
  if (o.size > MAX_KEY_FILE_BYTES) return bad(`larger than ${MAX_KEY_FILE_BYTES} bytes`);
  const id = o.name.slice(PREFIX.length);
  try {
    const bytes = await getBounded(backend, o.name, MAX_KEY_FILE_BYTES, o.size);
    if (keyFileId(bytes) !== id) return bad('its name is not the SHA-256 of its content');
    return { id, bytes, info: describeKeyFile(bytes) };
  } catch (err) {
    if (isRozenError(err, 'NotFound')) return undefined;
    if (isRozenError(err, 'CorruptData') || isRozenError(err, 'Unsupported')) return bad(err.message);
    throw err;
  }
}

/** Every file in keys/, sorted by name: the well-formed key files and the ones passed over. */
export async function readKeyFiles(backend: Backend): Promise<{ keys: KeyFile[]; bad: BadKeyFile[] }> {
  const objects: ObjectInfo[] = [];
  for await (const o of backend.list(PREFIX)) objects.push(o);
  objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const keys: KeyFile[] = [];
  const bad: BadKeyFile[] = [];
  for (let i = 0; i < objects.length; i += READ_BATCH) {
    for (const k of await Promise.all(objects.slice(i, i + READ_BATCH).map((o) => readKeyFile(backend, o)))) {
      if (k === undefined) continue;
      if ('reason' in k) bad.push(k);
      else keys.push(k);
    }
  }
  return { keys, bad };
}

/** One line for a key file passed over, with the repository-provided name escaped. */
export function describeBadKeyFile(b: BadKeyFile): string {
  return `key file ${oneLine(b.name)} passed over: ${oneLine(b.reason)}`;
}

function wrongPassword(bad: readonly BadKeyFile[]): RozenError {
  const first = bad[0];
  const note = first === undefined ? '' : ` (${bad.length} unreadable key file(s) passed over; ${describeBadKeyFile(first)})`;
  return new RozenError('WrongPassword', `wrong password or no key found${note}`);
}

/**
 * The master key and the id of the key file that `password` opens; WrongPassword otherwise. Cheapest key
 * files are tried first, so expensive ones planted beside the real key cost nothing when it opens.
 */
export async function unlockMasterKey(backend: Backend, password: string): Promise<{ master: MasterKey; keyId: string }> {
  const { keys, bad } = await readKeyFiles(backend);
  const byCost = [...keys].sort((a, b) => kdfWork(a.info.kdf) - kdfWork(b.info.kdf));
  for (const k of byCost) {
    const master = await openKeyFile(k.bytes, password).catch(() => undefined);
    if (master) return { master, keyId: k.id };
  }
  throw wrongPassword(bad);
}

export async function addKey(backend: Backend, master: MasterKey, password: string): Promise<string> {
  const { id, bytes } = await createKeyFile(master, password);
  await backend.put(`${PREFIX}${id}`, bytes);
  return id;
}

/** The key files as `key list` shows them, and the ones passed over. */
export async function describeKeys(backend: Backend): Promise<{ keys: KeyInfo[]; bad: BadKeyFile[] }> {
  const { keys, bad } = await readKeyFiles(backend);
  const info = keys.map(({ id, info: d }) => ({ id, created: d.created.toISOString(), hostname: d.hostname, username: d.username }));
  return { keys: info, bad };
}

/** Resolve a full id or unique prefix of a key file id (a file passed over can be named too, to remove it). */
export async function resolveKeyId(backend: Backend, prefix: string): Promise<string> {
  const matches = (await listKeyIds(backend)).filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new RozenError('NotFound', `no key with id ${oneLine(prefix)}`);
  if (matches.length > 1) throw new RozenError('InvalidArgument', `key id prefix ${oneLine(prefix)} is ambiguous`);
  return matches[0]!;
}
