/* SHA-256 of a stream on the libuv pool (pack ids, FORMAT §6), so that hashing packs does not hold the JS thread.
 * The state is a Buffer the caller keeps (sha256Init) and passes to every update; the caller runs one update of a
 * state at a time (src/cas/pool-hash.ts chains them). The hash is the OpenSSL that Node exports. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/sha.h>
#include "async_job.h"

#define MAX_PIECES 65536

typedef struct {
  const uint8_t *data;
  size_t len;
} piece;

typedef struct {
  SHA256_CTX *ctx;
  piece *pieces;
  uint32_t count;
  napi_ref refs[2]; /* the state and the array of pieces, kept alive while the job runs */
  napi_deferred deferred;
  napi_async_work work;
} update_job;

/* The SHA256_CTX in `v`, or NULL (after throwing) when `v` is not a state made by sha256Init. */
static SHA256_CTX *state_of(napi_env env, napi_value v) {
  void *data = NULL;
  size_t len = 0;
  if (!typed_array_of(env, v, napi_uint8_array, &data, &len) || len != sizeof(SHA256_CTX)) {
    napi_throw_type_error(env, NULL, "sha256: not a state made by sha256Init");
    return NULL;
  }
  return data;
}

/* sha256Init(): a new state (a Buffer holding the hash context). */
static napi_value js_sha256_init(napi_env env, napi_callback_info info) {
  napi_value state;
  void *data;
  if (napi_create_buffer(env, sizeof(SHA256_CTX), &data, &state) != napi_ok) return NULL;
  SHA256_Init(data);
  return state;
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  update_job *job = data;
  for (uint32_t i = 0; i < job->count; i++) SHA256_Update(job->ctx, job->pieces[i].data, job->pieces[i].len);
}

static void complete(napi_env env, napi_status status, void *data) {
  update_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "sha256Update");
  } else {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  }
  napi_delete_async_work(env, job->work);
  for (int i = 0; i < 2; i++) napi_delete_reference(env, job->refs[i]);
  free(job->pieces);
  free(job);
}

/* sha256Update(state, pieces: Uint8Array[]): Promise<void>; hashes the pieces in order on the pool. Neither the state
 * nor the pieces may change until it settles. */
static napi_value js_sha256_update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  uint32_t count = 0;
  SHA256_CTX *ctx = argc == 2 ? state_of(env, argv[0]) : NULL;
  if (ctx == NULL) {
    if (argc != 2) napi_throw_type_error(env, NULL, "sha256Update(state, pieces: Uint8Array[])");
    return NULL;
  }
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok ||
      count > MAX_PIECES) {
    napi_throw_type_error(env, NULL, "sha256Update(state, pieces: Uint8Array[])");
    return NULL;
  }
  update_job *job = calloc(1, sizeof *job);
  piece *pieces = calloc(count ? count : 1, sizeof *pieces);
  bool ok = job != NULL && pieces != NULL;
  for (uint32_t i = 0; ok && i < count; i++) {
    napi_value v;
    void *bytes;
    ok = napi_get_element(env, argv[1], i, &v) == napi_ok && typed_array_of(env, v, napi_uint8_array, &bytes, &pieces[i].len);
    pieces[i].data = bytes;
    if (!ok) napi_throw_type_error(env, NULL, "sha256Update(state, pieces: Uint8Array[])");
  }
  if (!ok) {
    if (job == NULL || pieces == NULL) napi_throw_error(env, NULL, "sha256Update: out of memory");
    free(pieces);
    free(job);
    return NULL;
  }
  job->ctx = ctx;
  job->pieces = pieces;
  job->count = count;
  napi_create_reference(env, argv[0], 1, &job->refs[0]);
  napi_create_reference(env, argv[1], 1, &job->refs[1]);
  return start_job(env, "sha256Update", execute, complete, job, &job->deferred, &job->work);
}

/* sha256Final(state): the 32-byte digest; the state is spent. */
static napi_value js_sha256_final(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], digest;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SHA256_CTX *ctx = argc == 1 ? state_of(env, argv[0]) : NULL;
  if (ctx == NULL) {
    if (argc != 1) napi_throw_type_error(env, NULL, "sha256Final(state)");
    return NULL;
  }
  void *out;
  if (napi_create_buffer(env, SHA256_DIGEST_LENGTH, &out, &digest) != napi_ok) return NULL;
  SHA256_Final(out, ctx);
  memset(ctx, 0, sizeof *ctx);
  return digest;
}

napi_value sha256_pool_register(napi_env env, napi_value exports) {
  export_function(env, exports, "sha256Init", js_sha256_init);
  export_function(env, exports, "sha256Update", js_sha256_update);
  return export_function(env, exports, "sha256Final", js_sha256_final);
}
