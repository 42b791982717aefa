/** Thin access to zstd-napi's native contexts, one per thread, reused for every call (no per-call setup). */
import { Decompressor } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';

let cctx: binding.CCtx | undefined;
let dctx: binding.DCtx | undefined;
let decompressor: Decompressor | undefined;

/** Upper bound of the compressed size of `n` bytes. */
export const compressBound = (n: number): number => binding.compressBound(n);

/** Compress `src` into `dst`; returns the compressed length. Throws when `dst` is too small (see compressBound). */
export function compressInto(dst: Uint8Array, src: Uint8Array, level: number): number {
  cctx ??= new binding.CCtx();
  return cctx.compress(dst, src, level);
}

/** Decompress one or more whole frames from `src` into `dst`; returns the decompressed length. Throws on bad input. */
export function decompressInto(dst: Uint8Array, src: Uint8Array): number {
  dctx ??= new binding.DCtx();
  return dctx.decompress(dst, src);
}

/** Decompress whole frames whose size is not known in advance (sized from their headers, else streamed). */
export function decompressAll(src: Uint8Array): Uint8Array {
  decompressor ??= new Decompressor();
  return decompressor.decompress(src);
}

/** The decompressed size a frame declares, or null when it does not say. Throws on a bad header. */
export const frameContentSize = (src: Uint8Array): number | null => binding.getFrameContentSize(src);
