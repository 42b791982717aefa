/** The "kind" of a file for compression decisions: its lower-cased extension, '' for none. */

/** Longer suffixes are not extensions (hashes, dates…); keeping them out also bounds the policy's table. */
const MAX_EXTENSION = 12;
const DOT = 0x2e;
const SLASH = 0x2f;

/** `photo.JPG` → `jpg`; `README`, `.bashrc`, `a.` → ''. Accepts a name or a path, as a string or raw bytes. */
export function extensionOf(name: string | Uint8Array): string {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(name.buffer, name.byteOffset, name.length);
  const base = bytes.lastIndexOf(SLASH) + 1;
  const dot = bytes.lastIndexOf(DOT);
  if (dot <= base || dot === bytes.length - 1 || bytes.length - dot - 1 > MAX_EXTENSION) return '';
  return bytes
    .subarray(dot + 1)
    .toString('utf8')
    .toLowerCase();
}
