/* Restoring blobs without JavaScript in the loop, on the libuv pool: each blob is opened (open_blobs.c) into a
 * buffer of this thread and written to every file that uses it. A file is created (truncated) or reopened without
 * following a symlink, and written with zero blocks skipped when it is sparse. A file made of this one blob is then
 * finished through its descriptor: size, owner, xattrs, mode and times, in the order restore-meta.ts explains.
 *
 * The sealed bytes are read where they lie (the fetched span of a pack: nothing is copied to another thread) and no
 * JavaScript runs per blob or per file; the caller turns the per-file results into errors and warnings. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "async_job.h"
#include "blob_buffers.h"
#include "open_blob.h"

/* Numbers per blob: offset and length in `sealed`, plaintext length, first target, number of targets. */
#define BLOB_FIELDS 5
/* Numbers per target: path (offset, length in `strings`, NUL after it), offset in the file, flags; for T_FINISH
 * size, uid, gid, mode, atime s/ns, mtime s/ns, and the xattrs (offset in `strings`, count). */
#define TARGET_FIELDS 14
/* Numbers per target in the results: the step that failed (0 = none), its errno; the errno of a chown and of an
 * xattr change refused for lack of permission or support (0 = none), which did not stop the rest. */
#define RESULT_FIELDS 4
#define BLOCK 4096

enum { T_CREATE = 1, T_SPARSE = 2, T_FINISH = 4 };
enum { STEP_OPEN = 1, STEP_WRITE = 2, STEP_TRUNCATE = 3, STEP_CHOWN = 4, STEP_XATTR = 5, STEP_CHMOD = 6, STEP_TIMES = 7, STEP_ARGS = 8 };

typedef struct {
  uint8_t keys[2 * KEY_BYTES];
  const uint8_t *sealed, *ids, *strings;
  size_t sealed_len, strings_len;
  const double *blobs, *targets;
  uint32_t blob_count, target_count;
  int32_t *results;
  napi_ref refs[6];
  napi_deferred deferred;
  napi_async_work work;
} write_job;

static bool soft(int err) { return err == EPERM || err == EACCES || err == ENOTSUP || err == EOPNOTSUPP; }

static bool all_zero(const uint8_t *p, size_t n) { return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0); }

static int write_all(int fd, const uint8_t *p, size_t n, off_t at) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, at);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    p += w;
    n -= (size_t)w;
    at += w;
  }
  return 0;
}

/* Writes `data` at `at`, leaving out blocks (aligned in the file) that are all zeros. */
static int write_sparse(int fd, const uint8_t *data, size_t n, off_t at) {
  size_t run = SIZE_MAX, off = 0;
  while (off < n) {
    size_t end = off + BLOCK - (size_t)((at + (off_t)off) % BLOCK);
    if (end > n) end = n;
    bool zero = all_zero(data + off, end - off);
    if (!zero && run == SIZE_MAX) run = off;
    if (zero && run != SIZE_MAX) {
      int err = write_all(fd, data + run, off - run, at + (off_t)run);
      if (err) return err;
      run = SIZE_MAX;
    }
    off = end;
  }
  return run == SIZE_MAX ? 0 : write_all(fd, data + run, n - run, at + (off_t)run);
}

/* One encoded xattr at `p` (name NUL, u32 LE value length, value): fills *name, *value, *len and returns the next
 * entry, or NULL when it does not fit before `end`. */
static const uint8_t *xattr_at(const uint8_t *p, const uint8_t *end, const char **name, const uint8_t **value, uint32_t *len) {
  const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
  if (nul == NULL || nul == p || end - nul < 5) return NULL;
  memcpy(len, nul + 1, 4);
  if ((size_t)(end - nul - 5) < *len) return NULL;
  *name = (const char *)p;
  *value = nul + 5;
  return nul + 5 + *len;
}

/* Whether `name` is one of the `count` xattrs encoded at `x` (checked by xattrs_fit). */
static bool wanted(const char *name, const uint8_t *x, const uint8_t *end, uint32_t count) {
  const char *n = "";
  const uint8_t *v = NULL;
  uint32_t len = 0;
  for (uint32_t i = 0; i < count && x != NULL; i++) {
    x = xattr_at(x, end, &n, &v, &len);
    if (x != NULL && strcmp(n, name) == 0) return true;
  }
  return false;
}

/* Makes the xattrs of `fd` exactly the `count` encoded at `x` (checked by xattrs_fit): 0 or an errno. */
static int set_xattrs(int fd, const uint8_t *x, const uint8_t *end, uint32_t count) {
  ssize_t listed = flistxattr(fd, NULL, 0);
  if (listed < 0) return errno == ENOTSUP && count == 0 ? 0 : errno;
  if (listed > 0) {
    char *names = malloc((size_t)listed);
    if (names == NULL) return ENOMEM;
    listed = flistxattr(fd, names, (size_t)listed);
    int err = listed < 0 ? errno : 0;
    for (ssize_t at = 0; err == 0 && at < listed; at += (ssize_t)strlen(names + at) + 1) {
      if (!wanted(names + at, x, end, count) && fremovexattr(fd, names + at) != 0) err = errno;
    }
    free(names);
    if (err) return err;
  }
  const char *name = "";
  const uint8_t *value = NULL;
  uint32_t len = 0;
  for (uint32_t i = 0; i < count; i++) {
    if ((x = xattr_at(x, end, &name, &value, &len)) == NULL) return EINVAL;
    if (fsetxattr(fd, name, value, len, 0) != 0) return errno;
  }
  return 0;
}

/* The xattrs at `at` are `count` well-formed entries inside `strings`. */
static bool xattrs_fit(const write_job *job, double at, double count) {
  if (!(at >= 0 && at <= (double)job->strings_len && count >= 0 && count < 65536)) return false;
  const uint8_t *p = job->strings + (size_t)at, *end = job->strings + job->strings_len, *value = NULL;
  const char *name = "";
  uint32_t len = 0;
  for (uint32_t i = 0; i < (uint32_t)count && p != NULL; i++) p = xattr_at(p, end, &name, &value, &len);
  return p != NULL;
}

/* Size, owner, xattrs, mode and times of a file made of one blob. Fills r[0..1] on a hard failure, r[2..3] on soft ones. */
static void finish(const write_job *job, int fd, const double *t, int32_t *r) {
  if ((((uint32_t)t[3]) & T_SPARSE) && ftruncate(fd, (off_t)t[4]) != 0) {
    r[0] = STEP_TRUNCATE, r[1] = errno;
    return;
  }
  /* chown clears setuid/setgid and file capabilities, so it goes first; ACL xattrs rewrite the group bits, so
   * chmod comes after them. */
  if (fchown(fd, (uid_t)t[5], (gid_t)t[6]) != 0) {
    if (!soft(errno)) {
      r[0] = STEP_CHOWN, r[1] = errno;
      return;
    }
    r[2] = errno;
  }
  int err = set_xattrs(fd, job->strings + (size_t)t[12], job->strings + job->strings_len, (uint32_t)t[13]);
  if (err != 0) {
    if (!soft(err)) {
      r[0] = STEP_XATTR, r[1] = err;
      return;
    }
    r[3] = err;
  }
  if (fchmod(fd, (mode_t)t[7]) != 0) {
    r[0] = STEP_CHMOD, r[1] = errno;
    return;
  }
  struct timespec ts[2] = {{(time_t)t[8], (long)t[9]}, {(time_t)t[10], (long)t[11]}};
  if (futimens(fd, ts) != 0) r[0] = STEP_TIMES, r[1] = errno;
}

static bool target_fits(const write_job *job, const double *t) {
  double at = t[0], len = t[1];
  if (!(at >= 0 && len >= 1 && at + len < (double)job->strings_len && t[2] >= 0 && t[2] < 9e15)) return false;
  const uint8_t *path = job->strings + (size_t)at;
  if (path[(size_t)len] != 0 || memchr(path, 0, (size_t)len) != NULL) return false;
  if (!(((uint32_t)t[3]) & T_FINISH)) return true;
  return t[4] >= 0 && t[4] < 9e15 && t[5] >= 0 && t[5] < 4294967296.0 && t[6] >= 0 && t[6] < 4294967296.0 &&
         t[7] >= 0 && t[7] <= 07777 && t[9] >= 0 && t[9] < 1e9 && t[11] >= 0 && t[11] < 1e9 &&
         t[8] > -9e15 && t[8] < 9e15 && t[10] > -9e15 && t[10] < 9e15 && xattrs_fit(job, t[12], t[13]);
}

static void write_target(const write_job *job, const double *t, const uint8_t *data, size_t len, int32_t *r) {
  if (!target_fits(job, t)) {
    r[0] = STEP_ARGS, r[1] = EINVAL;
    return;
  }
  uint32_t flags = (uint32_t)t[3];
  const char *path = (const char *)job->strings + (size_t)t[0];
  int fd = (flags & T_CREATE) ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)
                              : open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    r[0] = STEP_OPEN, r[1] = errno;
    return;
  }
  int err = (flags & T_SPARSE) ? write_sparse(fd, data, len, (off_t)t[2]) : write_all(fd, data, len, (off_t)t[2]);
  if (err != 0) r[0] = STEP_WRITE, r[1] = err;
  else if (flags & T_FINISH) finish(job, fd, t, r);
  if (close(fd) != 0 && r[0] == 0) r[0] = STEP_WRITE, r[1] = errno;
}

static void write_all_blobs(write_job *job) {
  blob_buffers *buf = take_buffers();
  if (buf == NULL) {
    for (uint32_t i = 0; i < job->blob_count; i++) job->results[i] = OPEN_NOMEM;
    return;
  }
  hmac_key ids;
  hmac_init(&ids, job->keys + KEY_BYTES);
  for (uint32_t i = 0; i < job->blob_count; i++) {
    const double *b = job->blobs + BLOB_FIELDS * i;
    double at = b[0], len = b[1], raw = b[2], first = b[3], count = b[4];
    if (!(at >= 0 && len >= 0 && raw >= 0 && raw < (double)(1ull << 40) && at + len <= (double)job->sealed_len &&
          first >= 0 && count >= 0 && first + count <= (double)job->target_count)) {
      job->results[i] = OPEN_SHORT;
      continue;
    }
    if (!fit_buffers(buf, (size_t)raw, (size_t)len)) {
      job->results[i] = OPEN_NOMEM;
      continue;
    }
    uint8_t *plain = buf->plain;
    int code = open_blob(job->keys, &ids, job->sealed + (size_t)at, (size_t)len, job->ids + ID_BYTES * i, plain, (size_t)raw, buf->frame);
    job->results[i] = code;
    if (code != OPEN_OK) continue;
    for (uint32_t k = (uint32_t)first; k < (uint32_t)(first + count); k++) {
      write_target(job, job->targets + TARGET_FIELDS * k, plain, (size_t)raw,
                   job->results + job->blob_count + RESULT_FIELDS * k);
    }
  }
  memset(&ids, 0, sizeof ids);
  give_buffers(buf);
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  write_all_blobs(data);
}

static void complete(napi_env env, napi_status status, void *data) {
  write_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "writeBlobs");
  } else {
    napi_value results;
    napi_get_reference_value(env, job->refs[5], &results);
    napi_resolve_deferred(env, job->deferred, results);
  }
  napi_delete_async_work(env, job->work);
  for (int i = 0; i < 6; i++) napi_delete_reference(env, job->refs[i]);
  memset(job->keys, 0, sizeof job->keys);
  free(job);
}

static bool bytes_of(napi_env env, napi_value v, void **data, size_t *len) { return typed_array_of(env, v, napi_uint8_array, data, len); }

/* writeBlobs(keys: 64 bytes, sealed, blobs: Float64Array, ids: 32 bytes per blob, targets: Float64Array, strings):
 * Promise<Int32Array>, a result per blob (0 = opened and verified; its targets untouched otherwise), then
 * RESULT_FIELDS per target. */
static napi_value js_write_blobs(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *keys, *sealed, *blobs, *ids, *targets, *strings;
  size_t keys_len, sealed_len, blobs_len, ids_len, targets_len, strings_len;
  bool ok = argc == 6 && bytes_of(env, argv[0], &keys, &keys_len) && keys_len == 2 * KEY_BYTES &&
            bytes_of(env, argv[1], &sealed, &sealed_len) &&
            typed_array_of(env, argv[2], napi_float64_array, &blobs, &blobs_len) && blobs_len % BLOB_FIELDS == 0 &&
            bytes_of(env, argv[3], &ids, &ids_len) && ids_len == ID_BYTES * (blobs_len / BLOB_FIELDS) &&
            typed_array_of(env, argv[4], napi_float64_array, &targets, &targets_len) && targets_len % TARGET_FIELDS == 0 &&
            bytes_of(env, argv[5], &strings, &strings_len);
  if (!ok) {
    napi_throw_type_error(env, NULL, "writeBlobs(keys: 64 bytes, sealed, blobs: Float64Array, ids: 32n bytes, targets: Float64Array, strings)");
    return NULL;
  }
  write_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "writeBlobs: out of memory");
    return NULL;
  }
  memcpy(job->keys, keys, sizeof job->keys);
  job->sealed = sealed;
  job->sealed_len = sealed_len;
  job->blobs = blobs;
  job->ids = ids;
  job->targets = targets;
  job->strings = strings;
  job->strings_len = strings_len;
  job->blob_count = (uint32_t)(blobs_len / BLOB_FIELDS);
  job->target_count = (uint32_t)(targets_len / TARGET_FIELDS);
  size_t results_len = job->blob_count + RESULT_FIELDS * (size_t)job->target_count;
  napi_value ab, results;
  void *data;
  napi_create_arraybuffer(env, sizeof(int32_t) * (results_len ? results_len : 1), &data, &ab);
  memset(data, 0, sizeof(int32_t) * (results_len ? results_len : 1));
  napi_create_typedarray(env, napi_int32_array, results_len, ab, 0, &results);
  job->results = data;
  for (int i = 0; i < 5; i++) napi_create_reference(env, argv[i + 1], 1, &job->refs[i]);
  napi_create_reference(env, results, 1, &job->refs[5]);
  return start_job(env, "writeBlobs", execute, complete, job, &job->deferred, &job->work);
}

napi_value write_blobs_register(napi_env env, napi_value exports) { return export_function(env, exports, "writeBlobs", js_write_blobs); }
