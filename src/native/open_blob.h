/* Opening one stored blob (open_blobs.c), for the addon's other jobs that need plaintexts (write_blobs.c) or frames
 * (reseal_blobs.c). */
#ifndef ROZEN_OPEN_BLOB_H
#define ROZEN_OPEN_BLOB_H
#include <stddef.h>
#include <stdint.h>
#include "blob_crypto.h"

/* Per-blob results; native-open.ts has their messages. */
enum { OPEN_OK = 0, OPEN_SHORT = 1, OPEN_AUTH = 2, OPEN_FRAME = 3, OPEN_LENGTH = 4, OPEN_HASH = 5, OPEN_NOMEM = 6 };

/* One blob: sealed = nonce ‖ ciphertext ‖ tag, plaintext frame = id byte ‖ payload (FORMAT §3, §4); `out` gets
 * exactly raw_len bytes. The tag is always checked, and it covers the id (the blob's associated data); with `ids`,
 * the plaintext's HMAC is also checked against the id (§6), which NULL skips. Uses cipher and zstd contexts of the
 * calling thread; a compressed frame is decrypted into `scratch` (at least sealed_len bytes). */
int open_blob(const uint8_t *enc_key, const hmac_key *ids, const uint8_t *sealed, size_t sealed_len,
              const uint8_t *id, uint8_t *out, size_t raw_len, uint8_t *scratch);

/* The frame of one blob decrypted into `frame` (sealed_len - 40 bytes) once its tag, under `id`, is checked. */
int open_frame(const uint8_t *enc_key, const uint8_t *sealed, size_t sealed_len, const uint8_t *id, uint8_t *frame);

/* The plaintext of a decrypted frame of `frame_len` bytes, exactly raw_len long: *data points into the frame when it
 * is raw, else to `plain` (room for raw_len bytes), where it was decompressed. */
int frame_plaintext(const uint8_t *frame, size_t frame_len, uint8_t *plain, size_t raw_len, const uint8_t **data);
#endif
