/** Thin access to zstd-napi's native contexts, one per thread, reused for every call (no per-call setup). */
import type * as Zstd from 'zstd-napi';
import type Binding from 'zstd-napi/binding.js';
import { lazyModule } from '../core/lazy-module.js';

const zstd = lazyModule<typeof Zstd>('zstd-napi');
const native = lazyModule<typeof Binding>('zstd-napi/binding.js');

let cctx: Binding.CCtx | undefined;
let dctx: Binding.DCtx | undefined;
let decompressor: Zstd.Decompressor | undefined;

/** Upper bound of the compressed size of `n` bytes. */
export const compressBound = (n: number): number => native().compressBound(n);

/** Compress `src` into `dst`; returns the compressed length. Throws when `dst` is too small (see compressBound). */
export function compressInto(dst: Uint8Array, src: Uint8Array, level: number): number {
  cctx ??= new (native().CCtx)();
  return cctx.compress(dst, src, level);
}

/** Decompress one or more whole frames from `src` into `dst`; returns the decompressed length. Throws on bad input. */
export function decompressInto(dst: Uint8Array, src: Uint8Array): number {
  dctx ??= new (native().DCtx)();
  return dctx.decompress(dst, src);
}

/** Decompress whole frames whose size is not known in advance (sized from their headers, else streamed). */
export function decompressAll(src: Uint8Array): Uint8Array {
  decompressor ??= new (zstd().Decompressor)();
  return decompressor.decompress(src);
}

/** The decompressed size a frame declares, or null when it does not say. Throws on a bad header. */
export const frameContentSize = (src: Uint8Array): number | null => native().getFrameContentSize(src);
