/* readFiles: whole small files read in one call on the libuv thread pool (one hop per batch instead of four per file).
 *
 * readFiles(paths: Buffer[], maxSize: number) -> Promise<(Held | null | Error)[]>
 *   per path, index-aligned: its bytes (as many as fstat reported, fewer if it shrank meanwhile) held in the addon
 *   (held_bytes.h: an object with `length`, and `mostlyZeros` as the compression policy's mostlyZeros says of the
 *   first 64 KiB, to pass to sealBlobs), null when it is larger than maxSize, or an Error shaped like Node's fs
 *   errors (code, errno, syscall, path).
 * Files are opened O_RDONLY | O_NONBLOCK, so a path replaced by a FIFO since it was listed fails instead of hanging,
 * and O_NOATIME where permitted (the owner, or root), so backing a file up does not change its atime. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "async_job.h"
#include "held_bytes.h"

typedef struct {
  char *path;
  size_t path_len;
  char *data;
  size_t len;
  int too_large;
  int err;
  const char *syscall;
} file_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  size_t n;
  double max_size;
  file_t *files;
} job_t;

static void read_one(job_t *job, file_t *f) {
  int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { f->err = errno; f->syscall = "open"; return; }
  struct stat st;
  if (fstat(fd, &st) != 0) { f->err = errno; f->syscall = "fstat"; close(fd); return; }
  if ((double)st.st_size > job->max_size) { f->too_large = 1; close(fd); return; }
  size_t size = (size_t)st.st_size;
  f->data = malloc(size > 0 ? size : 1);
  if (f->data == NULL) { f->err = ENOMEM; f->syscall = "read"; close(fd); return; }
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, f->data + got, size - got, (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { f->err = errno; f->syscall = "read"; break; }
    if (n == 0) break;
    got += (size_t)n;
  }
  f->len = got;
  close(fd);
}

/* codec/policy.ts mostlyZeros of the first 64 KiB: at least a quarter of its 64-byte blocks start and end with 0. */
static bool mostly_zeros(const uint8_t *p, size_t len) {
  size_t n = len < 65536 ? len : 65536, zeros = 0;
  for (size_t i = 0; i + 63 < n; i += 64) zeros += p[i] == 0 && p[i + 63] == 0;
  return n >= 4096 && zeros * 64 * 4 >= n;
}

/* The object JavaScript holds for `f`'s bytes, which it takes over; NULL (with f->data kept) when that fails. */
static napi_value held_value(napi_env env, file_t *f) {
  napi_value obj, v;
  held_bytes *h = malloc(sizeof *h);
  if (h == NULL || napi_create_object(env, &obj) != napi_ok || napi_wrap(env, obj, h, held_finalize, NULL, NULL) != napi_ok) {
    free(h);
    return NULL;
  }
  h->data = (uint8_t *)f->data;
  h->len = f->len;
  h->taken = false;
  f->data = NULL;
  napi_type_tag_object(env, obj, &HELD_TAG);
  napi_create_double(env, (double)h->len, &v);
  napi_set_named_property(env, obj, "length", v);
  napi_get_boolean(env, mostly_zeros(h->data, h->len), &v);
  napi_set_named_property(env, obj, "mostlyZeros", v);
  return obj;
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  job_t *job = data;
  for (size_t i = 0; i < job->n; i++) read_one(job, &job->files[i]);
}

static void free_job(job_t *job) {
  for (size_t i = 0; job->files != NULL && i < job->n; i++) {
    free(job->files[i].path);
    free(job->files[i].data);
  }
  free(job->files);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  napi_value out;
  if (status != napi_ok) {
    reject_cancelled(env, job->deferred, "readFiles");
  } else {
    napi_create_array_with_length(env, job->n, &out);
    for (size_t i = 0; i < job->n; i++) {
      file_t *f = &job->files[i];
      napi_value v;
      if (f->err != 0) v = fs_error(env, f->err, f->syscall, f->path, f->path_len);
      else if (f->too_large) napi_get_null(env, &v);
      else if ((v = held_value(env, f)) == NULL) v = fs_error(env, ENOMEM, "read", f->path, f->path_len);
      napi_set_element(env, out, (uint32_t)i, v);
    }
    napi_resolve_deferred(env, job->deferred, out);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value js_read_files(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool ok = false;
  if (argc == 2) napi_is_array(env, argv[0], &ok);
  double max_size;
  if (!ok || napi_get_value_double(env, argv[1], &max_size) != napi_ok) {
    napi_throw_type_error(env, NULL, "readFiles: expected (paths: Buffer[], maxSize: number)");
    return NULL;
  }
  uint32_t n;
  napi_get_array_length(env, argv[0], &n);
  job_t *job = calloc(1, sizeof(job_t));
  if (job == NULL || (job->files = calloc(n > 0 ? n : 1, sizeof(file_t))) == NULL) {
    free(job);
    napi_throw_error(env, NULL, "readFiles: out of memory");
    return NULL;
  }
  job->n = n;
  job->max_size = max_size;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    file_t *f = &job->files[i];
    napi_get_element(env, argv[0], i, &item);
    int bad = copy_path(env, item, &f->path, &f->path_len);
    if (bad != 0) {
      free_job(job);
      if (bad == -1) napi_throw_type_error(env, NULL, "readFiles: each path must be a non-empty Buffer without NUL bytes");
      else napi_throw_error(env, NULL, "readFiles: out of memory");
      return NULL;
    }
  }
  return start_job(env, "rozen.readFiles", execute, complete, job, &job->deferred, &job->work);
}

/* Adds readFiles to the addon's exports (called from init in rozen_native.c). */
napi_value read_files_register(napi_env env, napi_value exports) {
  return export_function(env, exports, "readFiles", js_read_files);
}
