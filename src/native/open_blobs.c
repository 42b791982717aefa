/* Opening stored blobs without JavaScript in the loop: XChaCha20-Poly1305 (FORMAT §3), the frame (§3: raw or
 * zstd), and the blob id check (HMAC-SHA-256 of the plaintext, §6), for many blobs in one call.
 *
 * The bulk cipher and the hash are the OpenSSL that Node exports (the same code node:crypto runs); zstd is the
 * copy zstd-napi ships, compiled into this addon (binding.gyp). Each plaintext is written straight into the
 * caller's buffer (or, to verify without keeping them, all at the start of one scratch buffer): no allocation per
 * blob, no copy between threads. The id check may be left out of `openBlobs`: the tag already covers the id.
 * The calls run on the libuv pool: `openBlobs` for the mount, `verifyBlobs` for
 * check --read-data, and `authBlobs`, which checks each blob's tag with Poly1305 alone (no decryption, no
 * decompression, no id check: several times cheaper) for prune, which copies sealed blobs as they are;
 * write_blobs.c opens blobs with `open_blob` for restores, reseal_blobs.c with `open_frame` for copies. */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zstd.h>
#include "async_job.h"
#include "blob_crypto.h"
#include "blob_buffers.h"
#include "open_blob.h"

/* Numbers per blob in the layout: offset and length in `sealed`, plaintext length, offset in `out`. */
#define LAYOUT_FIELDS 4

/* ---- per-thread state: cipher and zstd contexts, and a buffer for compressed frames ---- */

/* Cipher and zstd contexts of this thread: small, and kept for the thread's next job. */
typedef struct {
  EVP_CIPHER_CTX *cipher;
  ZSTD_DCtx *zstd;
} thread_state;

static __thread thread_state tls;

static bool ready(void) {
  if (tls.cipher == NULL) {
    tls.cipher = EVP_CIPHER_CTX_new();
    if (tls.cipher == NULL || EVP_DecryptInit_ex(tls.cipher, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) return false;
  }
  return tls.zstd != NULL || (tls.zstd = ZSTD_createDCtx()) != NULL;
}

/* Decrypts `len` bytes of ciphertext at `in` into `out` (ChaCha20 is a stream: pieces may be any size). */
static bool decrypt(const uint8_t *in, size_t len, uint8_t *out) {
  while (len > 0) {
    int piece = len > (1u << 30) ? (1 << 30) : (int)len, n;
    if (EVP_DecryptUpdate(tls.cipher, out, &n, in, piece) != 1) return false;
    in += piece;
    out += piece;
    len -= (size_t)piece;
  }
  return true;
}

/* Starts opening `sealed` under `id` (its associated data): the cipher keyed with the nonce's subkey. */
static bool begin_open(const uint8_t *enc_key, const uint8_t *sealed, const uint8_t *id) {
  uint8_t subkey[KEY_BYTES], iv[12] = {0};
  hchacha20(enc_key, sealed, subkey);
  memcpy(iv + 4, sealed + 16, 8);
  int n, ok = EVP_DecryptInit_ex(tls.cipher, NULL, NULL, subkey, iv) == 1 &&
              EVP_DecryptUpdate(tls.cipher, NULL, &n, id, ID_BYTES) == 1;
  memset(subkey, 0, sizeof subkey);
  return ok;
}

/* Whether the ciphertext decrypted since begin_open carries `tag`. */
static bool end_open(const uint8_t *tag) {
  uint8_t none[16];
  int n;
  return EVP_CIPHER_CTX_ctrl(tls.cipher, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)tag) == 1 && EVP_DecryptFinal_ex(tls.cipher, none, &n) == 1;
}

int open_blob(const uint8_t *enc_key, const hmac_key *ids, const uint8_t *sealed, size_t sealed_len,
              const uint8_t *id, uint8_t *out, size_t raw_len, uint8_t *scratch) {
  if (sealed_len < NONCE_BYTES + TAG_BYTES + 1) return OPEN_SHORT;
  size_t frame_len = sealed_len - NONCE_BYTES - TAG_BYTES;
  if (!ready()) return OPEN_NOMEM;
  bool ok = begin_open(enc_key, sealed, id);
  const uint8_t *ct = sealed + NONCE_BYTES;
  uint8_t kind;
  ok = ok && decrypt(ct, 1, &kind);
  bool raw = kind == 0;
  if (raw && frame_len - 1 != raw_len) return OPEN_LENGTH;
  uint8_t *payload = raw ? out : scratch;
  ok = ok && decrypt(ct + 1, frame_len - 1, payload) && end_open(ct + frame_len);
  if (!ok) return OPEN_AUTH;
  if (kind == 1) {
    size_t got = ZSTD_decompressDCtx(tls.zstd, out, raw_len, payload, frame_len - 1);
    if (ZSTD_isError(got)) return OPEN_FRAME;
    if (got != raw_len) return OPEN_LENGTH;
  } else if (!raw) {
    return OPEN_FRAME;
  }
  if (ids == NULL) return OPEN_OK;
  uint8_t mac[ID_BYTES];
  hmac(ids, out, raw_len, mac);
  return memcmp(mac, id, ID_BYTES) == 0 ? OPEN_OK : OPEN_HASH;
}

int open_frame(const uint8_t *enc_key, const uint8_t *sealed, size_t sealed_len, const uint8_t *id, uint8_t *frame) {
  if (sealed_len < NONCE_BYTES + TAG_BYTES + 1) return OPEN_SHORT;
  if (!ready()) return OPEN_NOMEM;
  size_t frame_len = sealed_len - NONCE_BYTES - TAG_BYTES;
  const uint8_t *ct = sealed + NONCE_BYTES;
  return begin_open(enc_key, sealed, id) && decrypt(ct, frame_len, frame) && end_open(ct + frame_len) ? OPEN_OK : OPEN_AUTH;
}

int frame_plaintext(const uint8_t *frame, size_t frame_len, uint8_t *plain, size_t raw_len, const uint8_t **data) {
  if (frame_len < 1) return OPEN_SHORT;
  if (frame[0] == 0) {
    *data = frame + 1;
    return frame_len - 1 == raw_len ? OPEN_OK : OPEN_LENGTH;
  }
  if (frame[0] != 1) return OPEN_FRAME;
  if (!ready()) return OPEN_NOMEM;
  size_t got = ZSTD_decompressDCtx(tls.zstd, plain, raw_len, frame + 1, frame_len - 1);
  if (ZSTD_isError(got)) return OPEN_FRAME;
  *data = plain;
  return got == raw_len ? OPEN_OK : OPEN_LENGTH;
}

/* ---- authentication alone: the AEAD tag (RFC 8439 §2.8) recomputed without decrypting ---- */

/* A ChaCha20 context for one-time keys and a Poly1305 context, of this thread. */
static __thread EVP_CIPHER_CTX *tls_stream;
static __thread EVP_MAC_CTX *tls_poly;

static bool auth_ready(void) {
  if (tls_stream == NULL && (tls_stream = EVP_CIPHER_CTX_new()) == NULL) return false;
  if (tls_poly == NULL) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
    if (mac == NULL) return false;
    tls_poly = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
  }
  return tls_poly != NULL;
}

static void store64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Whether `sealed` (nonce ‖ ciphertext ‖ tag) carries the tag XChaCha20-Poly1305 gives it with `id` as associated
 * data: Poly1305 under the one-time key (the first 32 bytes of block 0 of the key stream) over id ‖ ciphertext ‖
 * padding ‖ both lengths. Exactly what decryption checks, without producing the plaintext. */
static int auth_blob(const uint8_t *enc_key, const uint8_t *sealed, size_t sealed_len, const uint8_t *id) {
  if (sealed_len < NONCE_BYTES + TAG_BYTES + 1) return OPEN_SHORT;
  if (!auth_ready()) return OPEN_NOMEM;
  static const uint8_t zeros[16];
  size_t ct_len = sealed_len - NONCE_BYTES - TAG_BYTES;
  const uint8_t *ct = sealed + NONCE_BYTES;
  /* EVP_chacha20's IV: block counter (4 bytes, little-endian) ‖ the 12-byte nonce, 0000 ‖ nonce[16..24) (§3). */
  uint8_t subkey[KEY_BYTES], iv[16] = {0}, otk[32] = {0}, lengths[16], tag[TAG_BYTES];
  hchacha20(enc_key, sealed, subkey);
  memcpy(iv + 8, sealed + 16, 8);
  int n;
  size_t tag_len = 0;
  bool ok = EVP_EncryptInit_ex(tls_stream, EVP_chacha20(), NULL, subkey, iv) == 1 &&
            EVP_EncryptUpdate(tls_stream, otk, &n, otk, (int)sizeof otk) == 1 && n == (int)sizeof otk;
  store64le(lengths, ID_BYTES);
  store64le(lengths + 8, ct_len);
  ok = ok && EVP_MAC_init(tls_poly, otk, sizeof otk, NULL) == 1 && EVP_MAC_update(tls_poly, id, ID_BYTES) == 1 &&
       EVP_MAC_update(tls_poly, ct, ct_len) == 1 && EVP_MAC_update(tls_poly, zeros, (16 - ct_len % 16) % 16) == 1 &&
       EVP_MAC_update(tls_poly, lengths, sizeof lengths) == 1 && EVP_MAC_final(tls_poly, tag, &tag_len, sizeof tag) == 1 &&
       tag_len == TAG_BYTES;
  OPENSSL_cleanse(subkey, sizeof subkey);
  OPENSSL_cleanse(otk, sizeof otk);
  if (!ok) return OPEN_NOMEM;
  return CRYPTO_memcmp(tag, ct + ct_len, TAG_BYTES) == 0 ? OPEN_OK : OPEN_AUTH;
}

/* ---- the call: keys, sealed bytes, [at, length, rawLength, outAt] per blob, ids, output ---- */

enum { MODE_OPEN, MODE_VERIFY, MODE_AUTH };

typedef struct {
  uint8_t keys[2 * KEY_BYTES];
  const uint8_t *sealed;
  size_t sealed_len;
  const double *layout;
  const uint8_t *ids;
  uint8_t *out;
  size_t out_len;
  uint32_t count;
  int32_t *results;
  /* verifyBlobs: plaintexts go to a scratch buffer of this thread; it and authBlobs may hash `sealed` whole. */
  int mode;
  bool hash_whole;
  /* openBlobs: false when the tag alone vouches for each plaintext (no id re-hash). */
  bool check_ids;
  uint8_t sha256[SHA256_DIGEST_LENGTH];
  napi_ref refs[5];
  napi_deferred deferred;
  napi_async_work work;
} open_job;

/* authBlobs: each blob's tag, nothing else. */
static void auth_all(open_job *job) {
  for (uint32_t i = 0; i < job->count; i++) {
    const double *l = job->layout + LAYOUT_FIELDS * i;
    double at = l[0], len = l[1];
    job->results[i] = at >= 0 && len >= 0 && at + len <= (double)job->sealed_len
                          ? auth_blob(job->keys, job->sealed + (size_t)at, (size_t)len, job->ids + ID_BYTES * i)
                          : OPEN_SHORT;
  }
}

static void open_all(open_job *job) {
  if (job->hash_whole) SHA256(job->sealed, job->sealed_len, job->sha256);
  if (job->mode == MODE_AUTH) {
    auth_all(job);
    return;
  }
  /* Frames are decrypted into `frame`; a verification's plaintexts all go to the start of `plain`. */
  size_t largest_raw = 1, largest_sealed = 1;
  for (uint32_t i = 0; i < job->count; i++) {
    double len = job->layout[LAYOUT_FIELDS * i + 1], raw = job->layout[LAYOUT_FIELDS * i + 2];
    if (len > (double)largest_sealed && len <= (double)job->sealed_len) largest_sealed = (size_t)len;
    if (raw > (double)largest_raw && raw < (double)(1ull << 40)) largest_raw = (size_t)raw;
  }
  blob_buffers *buf = take_buffers();
  if (buf == NULL || !fit_buffers(buf, job->mode == MODE_VERIFY ? largest_raw : 1, largest_sealed)) {
    for (uint32_t i = 0; i < job->count; i++) job->results[i] = OPEN_NOMEM;
    if (buf != NULL) give_buffers(buf);
    return;
  }
  if (job->mode == MODE_VERIFY) {
    job->out = buf->plain;
    job->out_len = buf->plain_len;
  }
  hmac_key ids;
  hmac_init(&ids, job->keys + KEY_BYTES);
  for (uint32_t i = 0; i < job->count; i++) {
    const double *l = job->layout + LAYOUT_FIELDS * i;
    double at = l[0], len = l[1], raw = l[2], out_at = job->mode == MODE_VERIFY ? 0 : l[3];
    if (!(at >= 0 && len >= 0 && raw >= 0 && out_at >= 0 && at + len <= (double)job->sealed_len && out_at + raw <= (double)job->out_len)) {
      job->results[i] = OPEN_SHORT;
      continue;
    }
    job->results[i] = open_blob(job->keys, job->check_ids ? &ids : NULL, job->sealed + (size_t)at, (size_t)len, job->ids + ID_BYTES * i, job->out + (size_t)out_at, (size_t)raw, buf->frame);
  }
  give_buffers(buf);
  memset(&ids, 0, sizeof ids);
}

static bool bytes_of(napi_env env, napi_value v, void **data, size_t *len) { return typed_array_of(env, v, napi_uint8_array, data, len); }

/* Reads and checks the arguments; the Int32Array of results is created here. NULL after throwing. The fifth
 * argument is the output buffer, or for verifyBlobs a boolean: hash `sealed` whole with SHA-256. openBlobs takes
 * a sixth, optional: whether to check each plaintext against its id (true when left out). */
static open_job *parse(napi_env env, napi_callback_info info, napi_value *results, int mode) {
  bool verify_only = mode != MODE_OPEN;
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *keys, *sealed, *ids, *out = NULL, *layout;
  size_t keys_len, sealed_len, ids_len, out_len = 0, layout_len;
  bool hash_whole = false, check_ids = true;
  bool last_ok = (argc == 5 || (argc == 6 && !verify_only && napi_get_value_bool(env, argv[5], &check_ids) == napi_ok)) &&
                 (verify_only ? napi_get_value_bool(env, argv[4], &hash_whole) == napi_ok : bytes_of(env, argv[4], &out, &out_len));
  bool ok = last_ok && bytes_of(env, argv[0], &keys, &keys_len) && keys_len == 2 * KEY_BYTES &&
            bytes_of(env, argv[1], &sealed, &sealed_len) &&
            typed_array_of(env, argv[2], napi_float64_array, &layout, &layout_len) && layout_len % LAYOUT_FIELDS == 0 && bytes_of(env, argv[3], &ids, &ids_len) &&
            ids_len == ID_BYTES * (layout_len / LAYOUT_FIELDS);
  if (!ok) {
    napi_throw_type_error(env, NULL, "openBlobs(keys: 64 bytes, sealed, layout: Float64Array [at, length, rawLength, outAt]*n, ids: 32n bytes, out | hashWhole[, checkIds])");
    return NULL;
  }
  open_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  memcpy(job->keys, keys, sizeof job->keys);
  job->sealed = sealed;
  job->sealed_len = sealed_len;
  job->layout = layout;
  job->ids = ids;
  job->out = out;
  job->out_len = out_len;
  job->mode = mode;
  job->hash_whole = hash_whole;
  job->check_ids = check_ids;
  job->count = (uint32_t)(layout_len / LAYOUT_FIELDS);
  napi_value ab;
  void *data;
  napi_create_arraybuffer(env, sizeof(int32_t) * (job->count ? job->count : 1), &data, &ab);
  napi_create_typedarray(env, napi_int32_array, job->count, ab, 0, results);
  job->results = data;
  /* Kept alive while the job runs: sealed, layout, ids, the results, and the output buffer if any. */
  for (int i = 0; i < 3; i++) napi_create_reference(env, argv[i + 1], 1, &job->refs[i]);
  napi_create_reference(env, *results, 1, &job->refs[3]);
  if (!verify_only) napi_create_reference(env, argv[4], 1, &job->refs[4]);
  return job;
}

static void release(napi_env env, open_job *job) {
  for (int i = 0; i < 5; i++) if (job->refs[i] != NULL) napi_delete_reference(env, job->refs[i]);
  memset(job->keys, 0, sizeof job->keys);
  free(job);
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  open_all(data);
}

static void complete(napi_env env, napi_status status, void *data) {
  open_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "openBlobs");
  } else {
    napi_value results;
    napi_get_reference_value(env, job->refs[3], &results);
    if (job->hash_whole) {
      napi_value hash;
      void *data;
      napi_create_buffer_copy(env, SHA256_DIGEST_LENGTH, job->sha256, &data, &hash);
      napi_set_named_property(env, results, "sha256", hash);
    }
    napi_resolve_deferred(env, job->deferred, results);
  }
  napi_delete_async_work(env, job->work);
  release(env, job);
}

/* openBlobs(keys, sealed, layout, ids, out[, checkIds]): Promise<Int32Array> of per-blob results (0 = opened, and
 * unless checkIds is false, checked against its id). */
static napi_value js_open_blobs(napi_env env, napi_callback_info info) {
  napi_value results;
  open_job *job = parse(env, info, &results, MODE_OPEN);
  if (job == NULL) return NULL;
  return start_job(env, "openBlobs", execute, complete, job, &job->deferred, &job->work);
}

/* verifyBlobs(keys, sealed, layout, ids, hashWhole): the same without keeping the plaintexts; with hashWhole the
 * results carry `sha256`, the hash of `sealed` (a whole pack). */
static napi_value js_verify_blobs(napi_env env, napi_callback_info info) {
  napi_value results;
  open_job *job = parse(env, info, &results, MODE_VERIFY);
  if (job == NULL) return NULL;
  return start_job(env, "verifyBlobs", execute, complete, job, &job->deferred, &job->work);
}

/* authBlobs(keys, sealed, layout, ids, hashWhole): like verifyBlobs, but each blob only authenticated (auth_blob):
 * 0, or OPEN_SHORT / OPEN_AUTH; rawLength and outAt are not read. */
static napi_value js_auth_blobs(napi_env env, napi_callback_info info) {
  napi_value results;
  open_job *job = parse(env, info, &results, MODE_AUTH);
  if (job == NULL) return NULL;
  return start_job(env, "authBlobs", execute, complete, job, &job->deferred, &job->work);
}

/* openBlobsSync(keys, sealed, layout, ids, out[, checkIds]): openBlobs on the calling thread, for small blobs, whose
 * hop to the pool and back costs more than opening them: the per-blob results (an Int32Array). */
static napi_value js_open_blobs_sync(napi_env env, napi_callback_info info) {
  napi_value results;
  open_job *job = parse(env, info, &results, MODE_OPEN);
  if (job == NULL) return NULL;
  open_all(job);
  release(env, job);
  return results;
}

napi_value open_blobs_register(napi_env env, napi_value exports) {
  export_function(env, exports, "openBlobs", js_open_blobs);
  export_function(env, exports, "openBlobsSync", js_open_blobs_sync);
  export_function(env, exports, "authBlobs", js_auth_blobs);
  return export_function(env, exports, "verifyBlobs", js_verify_blobs);
}
