/* Sealing blobs without JavaScript in the loop, on the libuv pool: the blob id (HMAC-SHA-256 of the plaintext,
 * FORMAT §6), the frame (§3: zstd when that makes it smaller, else raw) and XChaCha20-Poly1305 with the id as
 * associated data (§3), for many blobs in one call. The counterpart of open_blobs.c.
 *
 * The plaintexts are read where they lie (views of the caller's read buffers: nothing is copied to another
 * thread first; a blob may be given as its pieces, as a chunk cut across read buffers is); each sealed blob is written once, compressed straight into its place in one output buffer and
 * encrypted in place. The output is trimmed to what was used and handed to JavaScript without a copy. */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zstd.h>
#include "async_job.h"
#include "blob_crypto.h"
#include "held_bytes.h"
#include "seal_frame.h"

/* Numbers per blob in the layout written back: offset and length of the sealed blob in the output, frame length. */
#define LAYOUT_FIELDS 3
/* levels[i] for a blob stored raw. */
#define LEVEL_RAW INT32_MIN
#define MAX_BLOBS (1u << 20)

/* ---- compression and cipher contexts, shared by the pool's threads: as many exist as jobs ever ran at once ---- */

typedef struct contexts {
  ZSTD_CCtx *zstd;
  EVP_CIPHER_CTX *cipher;
  struct contexts *next;
} contexts;

static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static contexts *free_list;

static contexts *take_contexts(void) {
  pthread_mutex_lock(&free_lock);
  contexts *c = free_list;
  if (c != NULL) free_list = c->next;
  pthread_mutex_unlock(&free_lock);
  if (c != NULL) return c;
  c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->zstd = ZSTD_createCCtx();
  c->cipher = EVP_CIPHER_CTX_new();
  if (c->zstd == NULL || c->cipher == NULL || EVP_EncryptInit_ex(c->cipher, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) {
    ZSTD_freeCCtx(c->zstd);
    EVP_CIPHER_CTX_free(c->cipher);
    free(c);
    return NULL;
  }
  return c;
}

static void give_contexts(contexts *c) {
  pthread_mutex_lock(&free_lock);
  c->next = free_list;
  free_list = c;
  pthread_mutex_unlock(&free_lock);
}

/* ---- one blob ---- */

typedef struct {
  const uint8_t *data;
  size_t len;
} piece;

/* One blob's plaintext: one piece, or several that follow each other (a chunk cut across two read buffers, passed
 * as its pieces rather than joined in JavaScript first). */
typedef struct {
  piece one;
  const piece *pieces; /* &one, or an array of n owned by the part */
  uint32_t n;
  size_t len;
  held_bytes *held; /* the bytes are held ones, freed once sealed */
} part;

static void copy_pieces(const part *p, uint8_t *to) {
  for (uint32_t k = 0; k < p->n; to += p->pieces[k].len, k++) memcpy(to, p->pieces[k].data, p->pieces[k].len);
}

/* zstd at `level` into `dst` (room for p->len bytes): the compressed length, or 0 when it is not smaller. zstd needs
 * one contiguous input: a blob in pieces is gathered into a buffer that lives only for this call (malloc'd and
 * freed here, so no copy outlives its blob, and nothing waits for the garbage collector). */
static size_t compress_part(contexts *c, const part *p, int32_t level, uint8_t *dst) {
  const uint8_t *src = p->pieces[0].data;
  uint8_t *gathered = NULL;
  if (p->n > 1) {
    if ((gathered = malloc(p->len)) == NULL) return 0;
    copy_pieces(p, gathered);
    src = gathered;
  }
  size_t n = ZSTD_compressCCtx(c->zstd, dst, p->len, src, p->len, level);
  free(gathered);
  return !ZSTD_isError(n) && n < p->len ? n : 0;
}

/* The frame of `p` at `frame` (room for 1 + p->len bytes): zstd at `level` when smaller, else raw. Its length. */
static size_t frame_into(contexts *c, const part *p, int32_t level, uint8_t *frame) {
  if (level != LEVEL_RAW && p->len > 0) {
    size_t n = compress_part(c, p, level, frame + 1);
    if (n > 0) {
      frame[0] = 1;
      return 1 + n;
    }
  }
  frame[0] = 0;
  copy_pieces(p, frame + 1);
  return 1 + p->len;
}

/* The blob id of `p`: HMAC-SHA-256 over its pieces in order. */
static void hmac_part(const hmac_key *h, const part *p, uint8_t out[ID_BYTES]) {
  if (p->n == 1) {
    hmac(h, p->pieces[0].data, p->pieces[0].len, out);
    return;
  }
  SHA256_CTX c = h->inner;
  for (uint32_t k = 0; k < p->n; k++) SHA256_Update(&c, p->pieces[k].data, p->pieces[k].len);
  SHA256_Final(out, &c);
  c = h->outer;
  SHA256_Update(&c, out, ID_BYTES);
  SHA256_Final(out, &c);
}

/* ---- ids of all-zero blobs ----
 * A sparse disk image is mostly chunks of zeros of the largest chunk size, all with one id per length: hashing
 * each again cost 8 MiB of HMAC-SHA-256 apiece. Telling zeros apart takes a memcmp, which stops at the first byte
 * that is not zero, so other data costs next to nothing. The last few ids (per id key and length) are kept. */

#define ZERO_IDS 4

typedef struct {
  uint8_t key[KEY_BYTES];
  size_t len;
  uint8_t id[ID_BYTES];
} zero_id;

static pthread_mutex_t zero_lock = PTHREAD_MUTEX_INITIALIZER;
static zero_id zero_ids[ZERO_IDS];
static unsigned zero_count, zero_next;

static bool all_zero(const part *p) {
  for (uint32_t k = 0; k < p->n; k++) {
    const uint8_t *d = p->pieces[k].data;
    size_t n = p->pieces[k].len;
    if (n > 0 && (d[0] != 0 || memcmp(d, d + 1, n - 1) != 0)) return false;
  }
  return true;
}

static bool known_zero_id(const uint8_t *key, size_t len, uint8_t *id) {
  bool found = false;
  pthread_mutex_lock(&zero_lock);
  for (unsigned i = 0; i < zero_count && !found; i++) {
    if (zero_ids[i].len == len && memcmp(zero_ids[i].key, key, KEY_BYTES) == 0) {
      memcpy(id, zero_ids[i].id, ID_BYTES);
      found = true;
    }
  }
  pthread_mutex_unlock(&zero_lock);
  return found;
}

static void remember_zero_id(const uint8_t *key, size_t len, const uint8_t *id) {
  pthread_mutex_lock(&zero_lock);
  zero_id *z = &zero_ids[zero_next];
  zero_next = (zero_next + 1) % ZERO_IDS;
  if (zero_count < ZERO_IDS) zero_count++;
  memcpy(z->key, key, KEY_BYTES);
  z->len = len;
  memcpy(z->id, id, ID_BYTES);
  pthread_mutex_unlock(&zero_lock);
}

/* The id of `p` into `id`: HMAC-SHA-256 under `h` (made from `key`), or the remembered id of as many zeros. */
static void id_of(const hmac_key *h, const uint8_t *key, const part *p, uint8_t *id) {
  bool zeros = p->len >= 4096 && all_zero(p);
  if (zeros && known_zero_id(key, p->len, id)) return;
  hmac_part(h, p, id);
  if (zeros) remember_zero_id(key, p->len, id);
}

/* ---- the call ---- */

typedef struct {
  uint8_t keys[2 * KEY_BYTES];
  part *parts;
  uint32_t count;
  const int32_t *levels; /* NULL: hash only */
  uint8_t *ids;
  const uint8_t *known; /* per blob: 1 when its id is given in `ids` */
  double *layout;
  uint8_t *out;
  size_t out_len;
  const char *error;
  napi_ref refs[5];
  napi_deferred deferred;
  napi_async_work work;
} seal_job;

/* Frees a part's held bytes (on the pool thread that sealed them); its object stays, empty. */
static void free_held(part *p) {
  if (p->held == NULL) return;
  free(p->held->data);
  p->held->data = NULL;
  p->held->len = 0;
}

static void seal_all(seal_job *job) {
  hmac_key ids;
  hmac_init(&ids, job->keys + KEY_BYTES);
  for (uint32_t i = 0; i < job->count; i++) {
    if (job->known == NULL || job->known[i] == 0) id_of(&ids, job->keys + KEY_BYTES, &job->parts[i], job->ids + ID_BYTES * i);
  }
  memset(&ids, 0, sizeof ids);
  if (job->levels == NULL) return;
  size_t room = 1;
  for (uint32_t i = 0; i < job->count; i++) room += NONCE_BYTES + 1 + job->parts[i].len + TAG_BYTES;
  contexts *c = take_contexts();
  job->out = malloc(room);
  if (c == NULL || job->out == NULL) {
    job->error = "sealBlobs: out of memory";
    if (c != NULL) give_contexts(c);
    for (uint32_t i = 0; i < job->count; i++) free_held(&job->parts[i]);
    return;
  }
  size_t at = 0;
  for (uint32_t i = 0; i < job->count; i++) {
    size_t frame_len = frame_into(c, &job->parts[i], job->levels[i], job->out + at + NONCE_BYTES);
    if (!seal_frame(c->cipher, job->keys, job->ids + ID_BYTES * i, job->out + at, frame_len)) {
      job->error = "sealBlobs: the cipher failed";
      break;
    }
    size_t sealed_len = NONCE_BYTES + frame_len + TAG_BYTES;
    double *l = job->layout + LAYOUT_FIELDS * i;
    l[0] = (double)at;
    l[1] = (double)sealed_len;
    l[2] = (double)frame_len;
    at += sealed_len;
  }
  give_contexts(c);
  for (uint32_t i = 0; i < job->count; i++) free_held(&job->parts[i]);
  job->out_len = at;
  /* Compressed blobs leave room unused: give it back rather than keep it alive with the views of the output. */
  if (at > 0 && at < room - room / 4) {
    uint8_t *tight = realloc(job->out, at);
    if (tight != NULL) job->out = tight;
  }
}

static bool bytes_of(napi_env env, napi_value v, void **data, size_t *len) { return typed_array_of(env, v, napi_uint8_array, data, len); }

/* A blob argument: a Uint8Array, a non-empty array of them (its pieces, in order; at most MAX_PIECES), or, when
 * sealing (`take`), held bytes from readFiles not given to another call: this call frees them once sealed. Hashing
 * refuses held bytes: a seal could free them while the hash read them. */
#define MAX_PIECES 4096
static bool part_of(napi_env env, napi_value v, part *p, bool take) {
  void *data;
  bool is_array = false;
  uint32_t n = 0;
  held_bytes *h = held_of(env, v);
  if (h != NULL) {
    if (!take || h->taken || h->data == NULL) return false;
    h->taken = true;
    p->held = h;
    p->one = (piece){h->data, h->len};
    p->pieces = &p->one;
    p->n = 1;
    p->len = h->len;
    return true;
  }
  if (bytes_of(env, v, &data, &p->one.len)) {
    p->one.data = data;
    p->pieces = &p->one;
    p->n = 1;
    p->len = p->one.len;
    return true;
  }
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &n) != napi_ok || n == 0 ||
      n > MAX_PIECES)
    return false;
  piece *pieces = calloc(n, sizeof *pieces);
  if (pieces == NULL) return false;
  p->pieces = pieces;
  p->n = n;
  p->len = 0;
  for (uint32_t k = 0; k < n; k++) {
    napi_value e;
    if (napi_get_element(env, v, k, &e) != napi_ok || !bytes_of(env, e, &data, &pieces[k].len)) return false;
    pieces[k].data = data;
    p->len += pieces[k].len;
  }
  return true;
}

static void free_parts(part *parts, uint32_t count) {
  for (uint32_t i = 0; parts != NULL && i < count; i++)
    if (parts[i].pieces != &parts[i].one) free((void *)parts[i].pieces);
  free(parts);
}

/* (keys, blobs, ids[, known, levels, layout]): checks the arguments and references them. NULL after throwing. */
static seal_job *parse(napi_env env, napi_callback_info info, bool hash_only) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *keys, *ids, *known = NULL, *levels = NULL, *layout = NULL;
  size_t keys_len, ids_len, known_len = 0, levels_len = 0, layout_len = 0;
  uint32_t count = 0;
  bool is_array = false;
  bool ok = argc == (hash_only ? 3 : 6) && bytes_of(env, argv[0], &keys, &keys_len) && keys_len == 2 * KEY_BYTES &&
            napi_is_array(env, argv[1], &is_array) == napi_ok && is_array &&
            napi_get_array_length(env, argv[1], &count) == napi_ok && count <= MAX_BLOBS &&
            bytes_of(env, argv[2], &ids, &ids_len) && ids_len == (size_t)ID_BYTES * count;
  if (ok && !hash_only) {
    ok = bytes_of(env, argv[3], &known, &known_len) && known_len == count &&
         typed_array_of(env, argv[4], napi_int32_array, &levels, &levels_len) && levels_len == count &&
         typed_array_of(env, argv[5], napi_float64_array, &layout, &layout_len) && layout_len == (size_t)LAYOUT_FIELDS * count;
  }
  seal_job *job = ok ? calloc(1, sizeof *job) : NULL;
  part *parts = job != NULL ? calloc(count ? count : 1, sizeof *parts) : NULL;
  for (uint32_t i = 0; parts != NULL && i < count && ok; i++) {
    napi_value v;
    ok = napi_get_element(env, argv[1], i, &v) == napi_ok && part_of(env, v, &parts[i], !hash_only);
  }
  if (!ok || parts == NULL) {
    for (uint32_t i = 0; parts != NULL && i < count; i++)
      if (parts[i].held != NULL) parts[i].held->taken = false;
    free_parts(parts, count);
    free(job);
    if (ok) napi_throw_error(env, NULL, "sealBlobs: out of memory");
    else if (hash_only) napi_throw_type_error(env, NULL, "hashBlobs(keys: 64 bytes, blobs: (Uint8Array | Uint8Array[])[], ids: 32n bytes)");
    else napi_throw_type_error(env, NULL, "sealBlobs(keys: 64 bytes, blobs: (Uint8Array | Uint8Array[] | held bytes not yet sealed)[], ids: 32n bytes, known: n bytes, levels: Int32Array(n), layout: Float64Array(3n))");
    return NULL;
  }
  memcpy(job->keys, keys, sizeof job->keys);
  job->parts = parts;
  job->count = count;
  job->ids = ids;
  job->known = known;
  job->levels = levels;
  job->layout = layout;
  /* Kept alive while the job runs: the blobs (their array), the ids, and the other typed arrays. */
  for (size_t i = 1; i < argc; i++) napi_create_reference(env, argv[i], 1, &job->refs[i - 1]);
  return job;
}

static void release(napi_env env, seal_job *job) {
  for (int i = 0; i < 5; i++) if (job->refs[i] != NULL) napi_delete_reference(env, job->refs[i]);
  memset(job->keys, 0, sizeof job->keys);
  free_parts(job->parts, job->count);
  free(job);
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  seal_all(data);
}

static void free_output(napi_env env, void *data, void *hint) { free(data); }

static void complete(napi_env env, napi_status status, void *data) {
  seal_job *job = data;
  napi_value result, msg;
  if (status == napi_cancelled) {
    free(job->out);
    reject_cancelled(env, job->deferred, job->levels == NULL ? "hashBlobs" : "sealBlobs");
  } else if (job->error != NULL) {
    free(job->out);
    napi_create_string_utf8(env, job->error, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_reject_deferred(env, job->deferred, result);
  } else if (job->levels == NULL) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else if (napi_create_external_buffer(env, job->out_len, job->out, free_output, NULL, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    free(job->out);
    napi_create_string_utf8(env, "sealBlobs: cannot hand over the output", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  release(env, job);
}

/* sealBlobs(keys, blobs, ids, known, levels, layout): Promise<Buffer> of the sealed blobs, placed as `layout` says
 * ([at, length, frameLength] per blob); unknown ids are written into `ids`. levels[i] is a zstd level or INT32_MIN
 * for raw. */
static napi_value js_seal_blobs(napi_env env, napi_callback_info info) {
  seal_job *job = parse(env, info, false);
  if (job == NULL) return NULL;
  return start_job(env, "sealBlobs", execute, complete, job, &job->deferred, &job->work);
}

/* hashBlobs(keys, blobs, ids): Promise<void>; every blob's id written into `ids`. */
static napi_value js_hash_blobs(napi_env env, napi_callback_info info) {
  seal_job *job = parse(env, info, true);
  if (job == NULL) return NULL;
  return start_job(env, "hashBlobs", execute, complete, job, &job->deferred, &job->work);
}

napi_value seal_blobs_register(napi_env env, napi_value exports) {
  export_function(env, exports, "sealBlobs", js_seal_blobs);
  return export_function(env, exports, "hashBlobs", js_hash_blobs);
}
