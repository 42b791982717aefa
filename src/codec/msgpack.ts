/** Standard MessagePack (no msgpackr record extensions) for config, snapshots and locks. */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'bigint' });

export function packMsg(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpackMsg(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
