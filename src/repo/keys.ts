/** Key files: finding the one a password opens, adding, removing and changing passwords. */
import type { Backend } from '../backend/backend.js';
import { RozenError } from '../core/errors.js';
import { createKeyFile, describeKeyFile, openKeyFile } from '../crypto/key-file.js';
import type { MasterKey } from '../crypto/master-key.js';

export interface KeyInfo {
  readonly id: string;
  readonly created: string;
  readonly hostname: string;
  readonly username: string;
}

export async function listKeyIds(backend: Backend): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of backend.list('keys/')) ids.push(o.name.slice('keys/'.length));
  return ids.sort();
}

/** The master key and the id of the key file that `password` opens; WrongPassword otherwise. */
export async function unlockMasterKey(backend: Backend, password: string): Promise<{ master: MasterKey; keyId: string }> {
  for (const id of await listKeyIds(backend)) {
    const bytes = await backend.get(`keys/${id}`);
    const master = await openKeyFile(bytes, password).catch(() => undefined);
    if (master) return { master, keyId: id };
  }
  throw new RozenError('WrongPassword', 'wrong password or no key found');
}

export async function addKey(backend: Backend, master: MasterKey, password: string): Promise<string> {
  const { id, bytes } = await createKeyFile(master, password);
  await backend.put(`keys/${id}`, bytes);
  return id;
}

export async function describeKeys(backend: Backend): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (const id of await listKeyIds(backend)) {
    const d = describeKeyFile(await backend.get(`keys/${id}`));
    out.push({ id, created: d.created.toISOString(), hostname: d.hostname, username: d.username });
  }
  return out;
}

/** Resolve a full id or unique prefix of a key file id. */
export async function resolveKeyId(backend: Backend, prefix: string): Promise<string> {
  const matches = (await listKeyIds(backend)).filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new RozenError('NotFound', `no key with id ${prefix}`);
  if (matches.length > 1) throw new RozenError('InvalidArgument', `key id prefix ${prefix} is ambiguous`);
  return matches[0]!;
}
