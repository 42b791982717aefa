/** Standard MessagePack (no msgpackr record extensions) for config, snapshots and locks. */
import { Packr } from 'msgpackr';
import { corrupt } from '../core/errors.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'bigint' });

export function packMsg(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** One msgpack value filling `bytes`; anything else (truncated, trailing bytes, too deep) is CorruptData naming `what`. */
export function unpackMsg(bytes: Uint8Array, what = 'msgpack value'): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw corrupt(`${what} (${err instanceof Error ? err.message : String(err)})`, err);
  }
}
