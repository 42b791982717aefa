/* scanDir: lstat, symlink target and xattrs of many entries of one directory in one call on the libuv thread pool.
 *
 * scanDir(dir: Buffer, names: Buffer[], xattrsBefore?: bigint) -> Promise<{ stats, times, errors, links, xattrs, unread }>
 *   stats   Float64Array, SCAN_FIELDS numbers per name: errno, mode, uid, gid, size, blocks, dev, ino, nlink, rdev
 *   times   BigInt64Array, 3 per name: atime, mtime, ctime in ns, clamped to int64
 *   errors  by index, the error of a failed entry (null when none failed)
 *   links   by index, a symlink's target Buffer (null when no symlinks)
 *   xattrs  by index, the entry's [name, value] pairs sorted by name bytes, only when it has any (else null)
 *   unread  Uint8Array, 1 for each entry whose xattrs were not read because its ctime is before xattrsBefore (ns);
 *           null when xattrsBefore is not given or no entry was skipped
 * Each entry is scanned like scanEntry in scan.ts does: fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) (or lstat of the
 * full path when the directory cannot be opened), then for known types readlinkat (symlinks) and llistxattr/lgetxattr
 * on the full path, never following a symlink. The first failure ends an entry's scan; lstat and readlink errors are
 * shaped like Node's fs errors (with path), xattr errors like the addon's own (see throw_errno). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "async_job.h"

#define SCAN_FIELDS 10
#define MAX_DIR_BYTES 65536

static const char OUT_OF_MEMORY[] = "scanDir: out of memory";

typedef struct {
  char *name;
  size_t name_len;
  char *value;
  size_t value_len;
} xattr_t;

typedef struct {
  const char *name; /* NUL-terminated, inside job->arena */
  size_t name_len;
  int err; /* errno of the failed syscall, 0 when the entry scanned fine */
  const char *syscall;
  char *link;
  size_t link_len;
  xattr_t *xattrs;
  size_t n_xattrs;
  int unread; /* xattrs not read: ctime before the job's xattrs_before */
} entry_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *dir;
  size_t dir_len;
  /* dir, then '/' unless dir ends with one, then room for the longest name: filled by path_of. */
  char *path;
  size_t name_at;
  /* Room for an error message with the longest path. */
  char *msg;
  size_t msg_cap;
  char *arena;
  size_t max_name;
  size_t n;
  entry_t *entries;
  double *stats;
  int64_t *times;
  int has_before;
  int64_t xattrs_before;
  size_t n_unread;
} job_t;

static void fail(entry_t *e, int err, const char *syscall) {
  e->err = err;
  e->syscall = syscall;
}

/* The seven types Rozen records; others get no readlink/xattr calls so the JS side reports them as unsupported. */
static int known_type(mode_t m) {
  return S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m) || S_ISFIFO(m) || S_ISCHR(m) || S_ISBLK(m) || S_ISSOCK(m);
}

/* sec * 1e9 + nsec clamped to int64, exactly like clampNs in scan.ts. */
static int64_t ns_of(struct timespec ts) {
  __int128 ns = (__int128)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (ns > (__int128)INT64_MAX) return INT64_MAX;
  if (ns < (__int128)INT64_MIN) return INT64_MIN;
  return (int64_t)ns;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), as V8 decodes without replacement. */
static int valid_utf8(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned c = s[i];
    size_t extra;
    unsigned min;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) { extra = 1; min = 0x80; c &= 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { extra = 2; min = 0x800; c &= 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { extra = 3; min = 0x10000; c &= 0x07; }
    else return 0;
    if (i + extra >= len) return 0;
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      c = (c << 6) | (s[i + k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    i += extra + 1;
  }
  return 1;
}

static int compare_xattrs(const void *a, const void *b) {
  const xattr_t *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  return c != 0 ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The symlink's target; false with errno set on failure. */
static int read_link(int dfd, const char *name, const char *path, size_t size_hint, entry_t *e) {
  size_t cap = size_hint + 1 > 256 ? size_hint + 1 : 256;
  for (;;) {
    char *buf = malloc(cap);
    if (buf == NULL) { errno = ENOMEM; return 0; }
    ssize_t n = dfd >= 0 ? readlinkat(dfd, name, buf, cap) : readlink(path, buf, cap);
    if (n < 0) {
      int err = errno;
      free(buf);
      errno = err;
      return 0;
    }
    if ((size_t)n < cap) {
      e->link = buf;
      e->link_len = (size_t)n;
      return 1;
    }
    free(buf);
    cap *= 2;
  }
}

/* llistxattr, or lgetxattr when `name` is set, into a malloc'd buffer; the size, or -1 with errno set. */
static ssize_t xattr_call(const char *path, const char *name, char **out) {
  char *buf = NULL;
  ssize_t n;
  for (;;) {
    n = name == NULL ? llistxattr(path, NULL, 0) : lgetxattr(path, name, NULL, 0);
    if (n <= 0) break;
    char *grown = realloc(buf, (size_t)n);
    if (grown == NULL) { errno = ENOMEM; n = -1; break; }
    buf = grown;
    ssize_t m = name == NULL ? llistxattr(path, buf, (size_t)n) : lgetxattr(path, name, buf, (size_t)n);
    if (m >= 0 || errno != ERANGE) { n = m; break; }
  }
  int err = errno;
  if (n <= 0) { free(buf); buf = NULL; }
  *out = buf;
  errno = err;
  return n;
}

/* All attributes of `path` itself, like readXattrs in xattrs.ts: names that are not valid UTF-8 or vanish are skipped. */
static void read_xattrs(const char *path, entry_t *e) {
  char *list;
  ssize_t n = xattr_call(path, NULL, &list);
  if (n < 0) {
    if (errno != ENOTSUP) fail(e, errno, "llistxattr");
    return;
  }
  size_t count = 1;
  for (ssize_t i = 0; i < n; i++) count += list[i] == 0;
  e->xattrs = calloc(count, sizeof(xattr_t));
  if (e->xattrs == NULL) { free(list); fail(e, ENOMEM, "llistxattr"); return; }
  for (char *name = list; name < list + n; name += strnlen(name, (size_t)(list + n - name)) + 1) {
    size_t len = strnlen(name, (size_t)(list + n - name));
    if (len == 0 || len > XATTR_NAME_MAX || !valid_utf8((const unsigned char *)name, len)) continue;
    char *value;
    ssize_t m = xattr_call(path, name, &value);
    if (m < 0) {
      if (errno == ENODATA) continue;
      fail(e, errno, "lgetxattr");
      break;
    }
    xattr_t *x = &e->xattrs[e->n_xattrs++];
    x->name = strdup(name);
    x->name_len = len;
    x->value = value;
    x->value_len = (size_t)m;
    if (x->name == NULL) { fail(e, ENOMEM, "lgetxattr"); break; }
  }
  free(list);
  qsort(e->xattrs, e->n_xattrs, sizeof(xattr_t), compare_xattrs);
}

/* The entry's full path in job->path (as joinPath in child-scans.ts makes it); its length. */
static size_t path_of(job_t *job, const entry_t *e) {
  memcpy(job->path + job->name_at, e->name, e->name_len + 1);
  return job->name_at + e->name_len;
}

static void scan_one(job_t *job, int dfd, size_t i) {
  entry_t *e = &job->entries[i];
  double *f = job->stats + i * SCAN_FIELDS;
  const char *path = job->path;
  /* lstat of the full path, as before the batch scan, fails for paths of PATH_MAX bytes or more. */
  if (path_of(job, e) >= PATH_MAX) {
    fail(e, ENAMETOOLONG, "lstat");
    f[0] = e->err;
    return;
  }
  struct stat st;
  if ((dfd >= 0 ? fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) : lstat(path, &st)) != 0) {
    fail(e, errno, "lstat");
    f[0] = e->err;
    return;
  }
  f[1] = st.st_mode;
  f[2] = st.st_uid;
  f[3] = st.st_gid;
  f[4] = (double)st.st_size;
  f[5] = (double)st.st_blocks;
  f[6] = (double)st.st_dev;
  f[7] = (double)st.st_ino;
  f[8] = (double)st.st_nlink;
  f[9] = (double)st.st_rdev;
  int64_t *t = job->times + i * 3;
  t[0] = ns_of(st.st_atim);
  t[1] = ns_of(st.st_mtim);
  t[2] = ns_of(st.st_ctim);
  if (!known_type(st.st_mode)) return;
  if (S_ISLNK(st.st_mode) && !read_link(dfd, e->name, path, (size_t)st.st_size, e)) {
    fail(e, errno, "readlink");
  } else if (job->has_before && t[2] < job->xattrs_before) {
    /* Setting or removing an xattr changes ctime: the caller has them from an earlier scan. */
    e->unread = 1;
    job->n_unread++;
  } else {
    read_xattrs(path, e);
  }
  f[0] = e->err;
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  job_t *job = data;
  int dfd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < job->n; i++) scan_one(job, dfd, i);
  if (dfd >= 0) close(dfd);
}

static napi_value string_of(napi_env env, const char *s, size_t len) {
  napi_value v;
  napi_create_string_utf8(env, s, len, &v);
  return v;
}

/* Node's shape for lstat/readlink ("ENOENT: no such file or directory, lstat '/p'" + errno, code, syscall, path);
 * the addon's throw_errno shape (strerror text, no path) for the xattr calls. */
static napi_value error_of(napi_env env, job_t *job, const entry_t *e) {
  const char *code = uv_err_name(-e->err);
  int node_style = strcmp(e->syscall, "lstat") == 0 || strcmp(e->syscall, "readlink") == 0;
  size_t path_len = path_of(job, e), cap = job->msg_cap;
  const char *path = job->path;
  char *msg = job->msg;
  if (node_style) snprintf(msg, cap, "%s: %s, %s '", code, uv_strerror(-e->err), e->syscall);
  else snprintf(msg, cap, "%s: %s, %s", code, strerror(e->err), e->syscall);
  size_t len = strlen(msg);
  if (node_style) {
    memcpy(msg + len, path, path_len);
    len += path_len;
    msg[len++] = '\'';
  }
  napi_value error, num;
  napi_create_error(env, NULL, string_of(env, msg, len), &error);
  napi_create_int32(env, -e->err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "code", string_of(env, code, NAPI_AUTO_LENGTH));
  napi_set_named_property(env, error, "syscall", string_of(env, e->syscall, NAPI_AUTO_LENGTH));
  if (node_style) napi_set_named_property(env, error, "path", string_of(env, path, path_len));
  return error;
}

static napi_value buffer_of(napi_env env, const char *data, size_t len) {
  napi_value v;
  napi_create_buffer_copy(env, len, len > 0 ? data : "", NULL, &v);
  return v;
}

static napi_value xattrs_of(napi_env env, const entry_t *e) {
  napi_value list;
  napi_create_array_with_length(env, e->n_xattrs, &list);
  for (size_t k = 0; k < e->n_xattrs; k++) {
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, string_of(env, e->xattrs[k].name, e->xattrs[k].name_len));
    napi_set_element(env, pair, 1, buffer_of(env, e->xattrs[k].value, e->xattrs[k].value_len));
    napi_set_element(env, list, (uint32_t)k, pair);
  }
  return list;
}

/* The array of length n at *arr, created on first use (so it stays NULL, and becomes null in JS, when unused). */
static napi_value sparse_of(napi_env env, napi_value *arr, size_t n) {
  if (*arr == NULL) napi_create_array_with_length(env, n, arr);
  return *arr;
}

/* Uint8Array of n: 1 where an entry's xattrs were not read; null when none was skipped. */
static napi_value unread_of(napi_env env, const job_t *job, napi_value null) {
  if (job->n_unread == 0) return null;
  napi_value ab, arr;
  uint8_t *data;
  napi_create_arraybuffer(env, job->n, (void **)&data, &ab);
  for (size_t i = 0; i < job->n; i++) data[i] = (uint8_t)(job->entries[i].err == 0 && job->entries[i].unread);
  napi_create_typedarray(env, napi_uint8_array, job->n, ab, 0, &arr);
  return arr;
}

static napi_value result_of(napi_env env, job_t *job) {
  napi_value result, ab, stats, times, null;
  napi_get_null(env, &null);
  napi_value errors = NULL, links = NULL, xattrs = NULL;
  void *data;
  napi_create_arraybuffer(env, job->n * SCAN_FIELDS * sizeof(double), &data, &ab);
  if (job->n > 0) memcpy(data, job->stats, job->n * SCAN_FIELDS * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, job->n * SCAN_FIELDS, ab, 0, &stats);
  napi_create_arraybuffer(env, job->n * 3 * sizeof(int64_t), &data, &ab);
  if (job->n > 0) memcpy(data, job->times, job->n * 3 * sizeof(int64_t));
  napi_create_typedarray(env, napi_bigint64_array, job->n * 3, ab, 0, &times);
  for (size_t i = 0; i < job->n; i++) {
    const entry_t *e = &job->entries[i];
    if (e->err != 0) {
      napi_set_element(env, sparse_of(env, &errors, job->n), (uint32_t)i, error_of(env, job, e));
    } else {
      if (e->link != NULL) napi_set_element(env, sparse_of(env, &links, job->n), (uint32_t)i, buffer_of(env, e->link, e->link_len));
      if (e->n_xattrs > 0) napi_set_element(env, sparse_of(env, &xattrs, job->n), (uint32_t)i, xattrs_of(env, e));
    }
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "stats", stats);
  napi_set_named_property(env, result, "times", times);
  napi_set_named_property(env, result, "errors", errors != NULL ? errors : null);
  napi_set_named_property(env, result, "links", links != NULL ? links : null);
  napi_set_named_property(env, result, "xattrs", xattrs != NULL ? xattrs : null);
  napi_set_named_property(env, result, "unread", unread_of(env, job, null));
  return result;
}

static void free_job(job_t *job) {
  for (size_t i = 0; job->entries != NULL && i < job->n; i++) {
    entry_t *e = &job->entries[i];
    free(e->link);
    for (size_t k = 0; k < e->n_xattrs; k++) {
      free(e->xattrs[k].name);
      free(e->xattrs[k].value);
    }
    free(e->xattrs);
  }
  free(job->entries);
  free(job->stats);
  free(job->times);
  free(job->arena);
  free(job->path);
  free(job->msg);
  free(job->dir);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  if (status == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result_of(env, job));
  } else {
    reject_cancelled(env, job->deferred, "scanDir");
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* Throws `msg` as a TypeError (bad arguments) or an Error (out of memory). */
static napi_value throw_and_free(napi_env env, job_t *job, const char *msg) {
  free_job(job);
  if (msg == OUT_OF_MEMORY) napi_throw_error(env, NULL, msg);
  else napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Copies the arguments into `job` (the worker must not touch JS values). */
static const char *read_args(napi_env env, napi_value dir, napi_value names, job_t *job) {
  bool ok = false;
  void *data;
  size_t len;
  napi_is_buffer(env, dir, &ok);
  if (!ok) return "scanDir: dir must be a Buffer";
  napi_get_buffer_info(env, dir, &data, &len);
  if (len == 0 || len >= MAX_DIR_BYTES || memchr(data, 0, len) != NULL) return "scanDir: dir must be a non-empty Buffer without NUL bytes";
  job->dir = malloc(len + 1);
  if (job->dir == NULL) return OUT_OF_MEMORY;
  memcpy(job->dir, data, len);
  job->dir[len] = 0;
  job->dir_len = len;
  napi_is_array(env, names, &ok);
  if (!ok) return "scanDir: names must be an array of Buffers";
  uint32_t n;
  napi_get_array_length(env, names, &n);
  job->n = n;
  job->entries = calloc(n > 0 ? n : 1, sizeof(entry_t));
  job->stats = calloc(n > 0 ? (size_t)n * SCAN_FIELDS : 1, sizeof(double));
  job->times = calloc(n > 0 ? (size_t)n * 3 : 1, sizeof(int64_t));
  size_t total = 0, used = 0;
  napi_value *items = calloc(n > 0 ? n : 1, sizeof(napi_value));
  if (job->entries == NULL || job->stats == NULL || job->times == NULL || items == NULL) { free(items); return OUT_OF_MEMORY; }
  for (uint32_t i = 0; i < n; i++) {
    napi_get_element(env, names, i, &items[i]);
    napi_is_buffer(env, items[i], &ok);
    if (!ok) { free(items); return "scanDir: names must be an array of Buffers"; }
    napi_get_buffer_info(env, items[i], &data, &len);
    if (len == 0 || len >= MAX_DIR_BYTES || memchr(data, 0, len) != NULL || memchr(data, '/', len) != NULL) {
      free(items);
      return "scanDir: each name must be a non-empty Buffer without NUL or '/' bytes";
    }
    total += len + 1;
  }
  job->arena = malloc(total > 0 ? total : 1);
  if (job->arena == NULL) { free(items); return OUT_OF_MEMORY; }
  for (uint32_t i = 0; i < n; i++) {
    napi_get_buffer_info(env, items[i], &data, &len);
    entry_t *e = &job->entries[i];
    memcpy(job->arena + used, data, len);
    job->arena[used + len] = 0;
    e->name = job->arena + used;
    e->name_len = len;
    if (len > job->max_name) job->max_name = len;
    used += len + 1;
  }
  free(items);
  job->name_at = job->dir[job->dir_len - 1] == '/' ? job->dir_len : job->dir_len + 1;
  job->path = malloc(job->name_at + job->max_name + 1);
  job->msg_cap = job->name_at + job->max_name + 512;
  job->msg = malloc(job->msg_cap);
  if (job->path == NULL || job->msg == NULL) return OUT_OF_MEMORY;
  memcpy(job->path, job->dir, job->dir_len);
  job->path[job->dir_len] = '/';
  return NULL;
}

/* The optional third argument: a BigInt (ns) below which an entry's ctime means its xattrs are not read. */
static const char *read_before(napi_env env, size_t argc, napi_value arg, job_t *job) {
  napi_valuetype type = napi_undefined;
  if (argc >= 3) napi_typeof(env, arg, &type);
  if (type == napi_undefined) return NULL;
  bool lossless = false;
  if (type != napi_bigint || napi_get_value_bigint_int64(env, arg, &job->xattrs_before, &lossless) != napi_ok || !lossless) {
    return "scanDir: xattrsBefore must be a BigInt in the int64 range";
  }
  job->has_before = 1;
  return NULL;
}

static napi_value js_scan_dir(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) { napi_throw_type_error(env, NULL, "scanDir: expected (dir, names)"); return NULL; }
  job_t *job = calloc(1, sizeof(job_t));
  if (job == NULL) {
    napi_throw_error(env, NULL, OUT_OF_MEMORY);
    return NULL;
  }
  const char *bad = read_args(env, argv[0], argv[1], job);
  if (bad == NULL) bad = read_before(env, argc, argv[2], job);
  if (bad != NULL) return throw_and_free(env, job, bad);
  return start_job(env, "rozen.scanDir", execute, complete, job, &job->deferred, &job->work);
}

/* Adds scanDir to the addon's exports (called from init in rozen_native.c). */
napi_value scan_dir_register(napi_env env, napi_value exports) {
  return export_function(env, exports, "scanDir", js_scan_dir);
}
