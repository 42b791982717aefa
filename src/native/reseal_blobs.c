/* Re-sealing stored blobs for another repository (copy): each blob is opened with the source's keys (tag, frame and
 * id check, as open_blobs.c does) and its frame, unchanged, is sealed with the destination's encryption key under
 * the id the destination's id key gives its plaintext (FORMAT §3, §6). A zstd frame is valid in any repository, so
 * nothing is compressed again, which was most of a copy's work. Blob i of the output has blob i's length and
 * follows the ones before it; its frame is decrypted straight into its place there and encrypted in place. */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <zstd.h>
#include "async_job.h"
#include "blob_buffers.h"
#include "blob_crypto.h"
#include "open_blob.h"
#include "seal_frame.h"

#define MAX_BLOBS (1u << 20)
/* Plaintexts are below 2^32 bytes (FORMAT §6). */
#define MAX_RAW 4294967295.0

/* The encrypting cipher of this thread (open_frame decrypts with its own). */
static __thread EVP_CIPHER_CTX *tls_seal;

typedef struct {
  uint8_t src_keys[2 * KEY_BYTES], dst_keys[2 * KEY_BYTES];
  const uint8_t **sealed;
  size_t *sealed_len;
  const double *raw;
  const uint8_t *src_ids;
  uint8_t *dst_ids, *out;
  size_t out_len;
  uint32_t count;
  int32_t *results;
  napi_ref refs[6];
  napi_deferred deferred;
  napi_async_work work;
} reseal_job;

/* Blob i re-sealed at `at` in the output, its id into dst_ids; an OPEN_* result. */
static int reseal_one(reseal_job *job, uint32_t i, size_t at, const hmac_key *src_ids, const hmac_key *dst_ids, blob_buffers *buf) {
  size_t len = job->sealed_len[i], frame_len = len - NONCE_BYTES - TAG_BYTES;
  uint8_t *frame = job->out + at + NONCE_BYTES, mac[ID_BYTES], *id = job->dst_ids + ID_BYTES * i;
  const uint8_t *src_id = job->src_ids + ID_BYTES * i, *data;
  size_t raw = (size_t)job->raw[i];
  int r = open_frame(job->src_keys, job->sealed[i], len, src_id, frame);
  if (r != OPEN_OK) return r;
  /* A frame that declares another length than the index gives is refused before room for it is taken. */
  unsigned long long declared = frame[0] == 1 ? ZSTD_getFrameContentSize(frame + 1, frame_len - 1) : raw;
  if (declared != raw && declared != ZSTD_CONTENTSIZE_UNKNOWN) return declared == ZSTD_CONTENTSIZE_ERROR ? OPEN_FRAME : OPEN_LENGTH;
  if (frame[0] == 1 && !fit_buffers(buf, raw, 1)) return OPEN_NOMEM;
  r = frame_plaintext(frame, frame_len, buf->plain, raw, &data);
  if (r != OPEN_OK) return r;
  hmac(src_ids, data, raw, mac);
  if (memcmp(mac, src_id, ID_BYTES) != 0) return OPEN_HASH;
  hmac(dst_ids, data, raw, id);
  return seal_frame(tls_seal, job->dst_keys, id, job->out + at, frame_len) ? OPEN_OK : OPEN_NOMEM;
}

static void reseal_all(reseal_job *job) {
  if (tls_seal == NULL && (tls_seal = EVP_CIPHER_CTX_new()) != NULL &&
      EVP_EncryptInit_ex(tls_seal, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) {
    EVP_CIPHER_CTX_free(tls_seal);
    tls_seal = NULL;
  }
  blob_buffers *buf = tls_seal != NULL ? take_buffers() : NULL;
  hmac_key src_ids, dst_ids;
  hmac_init(&src_ids, job->src_keys + KEY_BYTES);
  hmac_init(&dst_ids, job->dst_keys + KEY_BYTES);
  size_t at = 0;
  for (uint32_t i = 0; i < job->count; i++) {
    size_t len = job->sealed_len[i];
    double raw = job->raw[i];
    if (buf == NULL) job->results[i] = OPEN_NOMEM;
    else if (len < NONCE_BYTES + TAG_BYTES + 1 || at + len > job->out_len || !(raw >= 0 && raw <= MAX_RAW)) job->results[i] = OPEN_SHORT;
    else job->results[i] = reseal_one(job, i, at, &src_ids, &dst_ids, buf);
    at += len;
  }
  if (buf != NULL) give_buffers(buf);
  memset(&src_ids, 0, sizeof src_ids);
  memset(&dst_ids, 0, sizeof dst_ids);
}

static bool bytes_of(napi_env env, napi_value v, void **data, size_t *len) { return typed_array_of(env, v, napi_uint8_array, data, len); }

/* The sealed blobs of argument `v` (an array of `count` Uint8Arrays) into the job. */
static bool blobs_of(napi_env env, napi_value v, reseal_job *job) {
  job->sealed = calloc(job->count ? job->count : 1, sizeof *job->sealed);
  job->sealed_len = calloc(job->count ? job->count : 1, sizeof *job->sealed_len);
  if (job->sealed == NULL || job->sealed_len == NULL) return false;
  for (uint32_t i = 0; i < job->count; i++) {
    napi_value e;
    void *data;
    if (napi_get_element(env, v, i, &e) != napi_ok || !bytes_of(env, e, &data, &job->sealed_len[i])) return false;
    job->sealed[i] = data;
  }
  return true;
}

static void release(napi_env env, reseal_job *job) {
  for (int i = 0; i < 6; i++) if (job->refs[i] != NULL) napi_delete_reference(env, job->refs[i]);
  memset(job->src_keys, 0, sizeof job->src_keys);
  memset(job->dst_keys, 0, sizeof job->dst_keys);
  free(job->sealed);
  free(job->sealed_len);
  free(job);
}

/* (srcKeys, dstKeys, blobs, rawLengths, srcIds, dstIds, out): checks and references the arguments, creates the
 * results. NULL after throwing. */
static reseal_job *parse(napi_env env, napi_callback_info info, napi_value *results) {
  size_t argc = 7, n;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *src_keys, *dst_keys, *raw, *src_ids, *dst_ids, *out;
  size_t src_keys_len, dst_keys_len, raw_len, src_ids_len, dst_ids_len, out_len;
  uint32_t count = 0;
  bool is_array = false;
  bool ok = argc == 7 && bytes_of(env, argv[0], &src_keys, &src_keys_len) && src_keys_len == 2 * KEY_BYTES &&
            bytes_of(env, argv[1], &dst_keys, &dst_keys_len) && dst_keys_len == 2 * KEY_BYTES &&
            napi_is_array(env, argv[2], &is_array) == napi_ok && is_array && napi_get_array_length(env, argv[2], &count) == napi_ok &&
            count <= MAX_BLOBS && typed_array_of(env, argv[3], napi_float64_array, &raw, &raw_len) && raw_len == count &&
            bytes_of(env, argv[4], &src_ids, &src_ids_len) && src_ids_len == (size_t)ID_BYTES * count &&
            bytes_of(env, argv[5], &dst_ids, &dst_ids_len) && dst_ids_len == (size_t)ID_BYTES * count && bytes_of(env, argv[6], &out, &out_len);
  reseal_job *job = ok ? calloc(1, sizeof *job) : NULL;
  if (job != NULL) job->count = count;
  if (job == NULL || !blobs_of(env, argv[2], job)) {
    if (job != NULL) release(env, job);
    napi_throw_type_error(env, NULL, "resealBlobs(srcKeys: 64 bytes, dstKeys: 64 bytes, blobs: Uint8Array[], rawLengths: Float64Array(n), srcIds: 32n bytes, dstIds: 32n bytes, out)");
    return NULL;
  }
  memcpy(job->src_keys, src_keys, sizeof job->src_keys);
  memcpy(job->dst_keys, dst_keys, sizeof job->dst_keys);
  job->raw = raw;
  job->src_ids = src_ids;
  job->dst_ids = dst_ids;
  job->out = out;
  job->out_len = out_len;
  napi_value ab;
  void *data;
  napi_create_arraybuffer(env, sizeof(int32_t) * (count ? count : 1), &data, &ab);
  napi_create_typedarray(env, napi_int32_array, count, ab, 0, results);
  job->results = data;
  /* Kept alive while the job runs: the blobs (their array), the lengths, both ids, the output and the results. */
  for (n = 0; n < 5; n++) napi_create_reference(env, argv[n + 2], 1, &job->refs[n]);
  napi_create_reference(env, *results, 1, &job->refs[5]);
  return job;
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  reseal_all(data);
}

static void complete(napi_env env, napi_status status, void *data) {
  reseal_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "resealBlobs");
  } else {
    napi_value results;
    napi_get_reference_value(env, job->refs[5], &results);
    napi_resolve_deferred(env, job->deferred, results);
  }
  napi_delete_async_work(env, job->work);
  release(env, job);
}

/* resealBlobs(srcKeys, dstKeys, blobs, rawLengths, srcIds, dstIds, out): Promise<Int32Array> of per-blob results
 * (0, or why blob i did not open: native-open.ts has the messages). Blob i goes to `out` after blobs 0..i-1, with
 * its length; its id in the destination into dstIds. */
static napi_value js_reseal_blobs(napi_env env, napi_callback_info info) {
  napi_value results;
  reseal_job *job = parse(env, info, &results);
  if (job == NULL) return NULL;
  return start_job(env, "resealBlobs", execute, complete, job, &job->deferred, &job->work);
}

napi_value reseal_blobs_register(napi_env env, napi_value exports) { return export_function(env, exports, "resealBlobs", js_reseal_blobs); }
