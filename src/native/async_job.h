/* What the addon's thread-pool jobs (scan_dir.c, read_files.c, list_dir.c) share: queueing one, exporting its
 * function, and errors shaped like Node's. */
#ifndef ROZEN_ASYNC_JOB_H
#define ROZEN_ASYNC_JOB_H
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#ifndef SCHED_BATCH
#define SCHED_BATCH 3 /* Linux's value; <sched.h> names it only with _GNU_SOURCE */
#endif
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <uv.h>

/* Called first by every job of the addon on the libuv pool: the thread (once) takes the SCHED_BATCH policy, so that
 * waking it does not preempt the JavaScript thread. That thread hands out the work and is the bottleneck of a
 * backup: with two cores and sixteen pool threads, each job queued (a file batch read, a batch sealed) woke a
 * thread that took the core from it, a delay on every call that added up over a whole backup. Restore, check,
 * prune and the mount keep the JavaScript thread idle and are unaffected. Unprivileged; where refused, nothing
 * changes. */
static inline void pool_thread_yields(void) {
  static __thread bool done;
  if (done) return;
  done = true;
  struct sched_param p = {0};
  sched_setscheduler(0, SCHED_BATCH, &p);
}

/* Queues `data` on the libuv pool (execute there, complete on the JS thread); returns the job's promise. */
static inline napi_value start_job(napi_env env, const char *name, napi_async_execute_callback execute,
                                   napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                                   napi_async_work *work) {
  napi_value promise, resource;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_create_async_work(env, NULL, resource, execute, complete, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

/* The data and element count of `v` if it is a typed array of type `want`. */
static inline bool typed_array_of(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type t;
  return napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) == napi_ok && t == want;
}

/* Sets exports[name] to a function calling `fn`. */
static inline napi_value export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
  return exports;
}
/* Rejects a job's promise because libuv cancelled it ("<fn>: cancelled"). */
static inline void reject_cancelled(napi_env env, napi_deferred deferred, const char *fn) {
  char text[64];
  napi_value msg, err;
  snprintf(text, sizeof text, "%s: cancelled", fn);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, deferred, err);
}

#define MAX_PATH_BYTES 65536

/* A copy of the Buffer path `v`, NUL-terminated, in *out (length in *len): 0, or -1 when `v` is not a non-empty
 * Buffer without NUL bytes shorter than MAX_PATH_BYTES, or -2 when out of memory. The caller frees *out. */
static inline int copy_path(napi_env env, napi_value v, char **out, size_t *len) {
  bool ok = false;
  void *data = NULL;
  *out = NULL;
  *len = 0;
  napi_is_buffer(env, v, &ok);
  if (ok) napi_get_buffer_info(env, v, &data, len);
  if (!ok || *len == 0 || *len >= MAX_PATH_BYTES || memchr(data, 0, *len) != NULL) return -1;
  if ((*out = malloc(*len + 1)) == NULL) return -2;
  memcpy(*out, data, *len);
  (*out)[*len] = 0;
  return 0;
}

/* An Error shaped like Node's fs errors: message "CODE: description, syscall 'path'", errno, code, syscall, path. */
static inline napi_value fs_error(napi_env env, int err, const char *syscall, const char *path, size_t path_len) {
  const char *code = uv_err_name(-err);
  size_t cap = path_len + 256;
  char *msg = malloc(cap);
  napi_value error, message, v;
  if (msg == NULL) {
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &message);
  } else {
    int len = snprintf(msg, cap, "%s: %s, %s '", code, uv_strerror(-err), syscall);
    memcpy(msg + len, path, path_len);
    msg[len + path_len] = '\'';
    napi_create_string_utf8(env, msg, (size_t)len + path_len + 1, &message);
    free(msg);
  }
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "code", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  napi_create_string_utf8(env, path, path_len, &v);
  napi_set_named_property(env, error, "path", v);
  return error;
}
#endif
