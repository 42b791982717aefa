/** Object names of pack files: packs/<hh>/<id> with hh the first two hex digits of the id (FORMAT §1). */
import { isHexId, type PackId } from '../core/ids.js';

export const PACKS_PREFIX = 'packs/';

export function packName(id: PackId): string {
  return `${PACKS_PREFIX}${id.slice(0, 2)}/${id}`;
}

/** The pack id a name denotes, or undefined when the name is not a well-formed pack name. */
export function parsePackName(name: string): PackId | undefined {
  const m = /^packs\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
  if (m === null || !isHexId(m[2]!) || !m[2]!.startsWith(m[1]!)) return undefined;
  return m[2] as PackId;
}
