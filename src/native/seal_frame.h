/* Sealing one frame in place (FORMAT §3), for seal_blobs.c and reseal_blobs.c: a fresh random nonce, XChaCha20
 * through the HChaCha20 subkey, Poly1305 over the id as associated data. */
#ifndef ROZEN_SEAL_FRAME_H
#define ROZEN_SEAL_FRAME_H
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "blob_crypto.h"

/* nonce ‖ ciphertext ‖ tag at `out`, the frame already at out + NONCE_BYTES (encrypted in place). `cipher` was set
 * up once for ChaCha20-Poly1305 encryption without a key. */
static inline bool seal_frame(EVP_CIPHER_CTX *cipher, const uint8_t *enc_key, const uint8_t *id, uint8_t *out, size_t frame_len) {
  if (RAND_bytes(out, NONCE_BYTES) != 1) return false;
  uint8_t subkey[KEY_BYTES], iv[12] = {0};
  hchacha20(enc_key, out, subkey);
  memcpy(iv + 4, out + 16, 8);
  int n;
  bool ok = EVP_EncryptInit_ex(cipher, NULL, NULL, subkey, iv) == 1 && EVP_EncryptUpdate(cipher, NULL, &n, id, ID_BYTES) == 1;
  memset(subkey, 0, sizeof subkey);
  uint8_t *frame = out + NONCE_BYTES;
  for (size_t done = 0; ok && done < frame_len;) {
    int piece = frame_len - done > (1u << 30) ? (1 << 30) : (int)(frame_len - done);
    ok = EVP_EncryptUpdate(cipher, frame + done, &n, frame + done, piece) == 1;
    done += (size_t)piece;
  }
  uint8_t none[16];
  return ok && EVP_EncryptFinal_ex(cipher, none, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, frame + frame_len) == 1;
}
#endif
