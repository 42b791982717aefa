/* What sealing (seal_blobs.c) and opening (open_blobs.c) blobs share: the HChaCha20 subkey of XChaCha20 (FORMAT §3)
 * and HMAC-SHA-256 blob ids (§6) with the key's pads hashed once. The hash is the OpenSSL that Node exports. */
#ifndef ROZEN_BLOB_CRYPTO_H
#define ROZEN_BLOB_CRYPTO_H
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <stdint.h>
#include <string.h>
#include <openssl/sha.h>

#define KEY_BYTES 32
#define ID_BYTES 32
#define NONCE_BYTES 24
#define TAG_BYTES 16

/* ---- XChaCha20: the HChaCha20 subkey (draft-irtf-cfrg-xchacha-03 §2.2) ---- */

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d) \
  a += b; d ^= a; d = ROTL(d, 16); c += d; b ^= c; b = ROTL(b, 12); \
  a += b; d ^= a; d = ROTL(d, 8);  c += d; b ^= c; b = ROTL(b, 7)

static inline uint32_t load32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline void store32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

static inline void hchacha20(const uint8_t key[KEY_BYTES], const uint8_t nonce[16], uint8_t out[KEY_BYTES]) {
  uint32_t x[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++) x[4 + i] = load32(key + 4 * i);
  for (int i = 0; i < 4; i++) x[12 + i] = load32(nonce + 4 * i);
  for (int i = 0; i < 10; i++) {
    QR(x[0], x[4], x[8], x[12]); QR(x[1], x[5], x[9], x[13]); QR(x[2], x[6], x[10], x[14]); QR(x[3], x[7], x[11], x[15]);
    QR(x[0], x[5], x[10], x[15]); QR(x[1], x[6], x[11], x[12]); QR(x[2], x[7], x[8], x[13]); QR(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 4; i++) store32(out + 4 * i, x[i]);
  for (int i = 0; i < 4; i++) store32(out + 16 + 4 * i, x[12 + i]);
  memset(x, 0, sizeof x);
}

/* HMAC-SHA-256 with the key's inner and outer states computed once per call. */
typedef struct {
  SHA256_CTX inner, outer;
} hmac_key;

static inline void hmac_init(hmac_key *h, const uint8_t key[KEY_BYTES]) {
  uint8_t pad[SHA256_CBLOCK];
  memset(pad, 0x36, sizeof pad);
  for (int i = 0; i < KEY_BYTES; i++) pad[i] ^= key[i];
  SHA256_Init(&h->inner);
  SHA256_Update(&h->inner, pad, sizeof pad);
  memset(pad, 0x5c, sizeof pad);
  for (int i = 0; i < KEY_BYTES; i++) pad[i] ^= key[i];
  SHA256_Init(&h->outer);
  SHA256_Update(&h->outer, pad, sizeof pad);
  memset(pad, 0, sizeof pad);
}

static inline void hmac(const hmac_key *h, const uint8_t *data, size_t len, uint8_t out[ID_BYTES]) {
  SHA256_CTX c = h->inner;
  SHA256_Update(&c, data, len);
  SHA256_Final(out, &c);
  c = h->outer;
  SHA256_Update(&c, out, ID_BYTES);
  SHA256_Final(out, &c);
}

#endif
