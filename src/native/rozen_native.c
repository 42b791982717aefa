/* Rozen's native helpers: the few syscalls Node's fs lacks (ns times, mknod, byte-path xattrs, holes). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "gear_scan.h"

#define MAX_PATH_BYTES 65536

napi_value scan_dir_register(napi_env env, napi_value exports); /* scan_dir.c: adds scanDir */
napi_value read_files_register(napi_env env, napi_value exports); /* read_files.c: adds readFiles */
napi_value list_dir_register(napi_env env, napi_value exports); /* list_dir.c: adds listDir */
napi_value fuse_dev_register(napi_env env, napi_value exports); /* fuse_dev.c: adds fuseMount, fuseServe, fuseReply */
napi_value open_blobs_register(napi_env env, napi_value exports); /* open_blobs.c: adds openBlobs, verifyBlobs, authBlobs */
napi_value seal_blobs_register(napi_env env, napi_value exports); /* seal_blobs.c: adds sealBlobs, hashBlobs */
napi_value gear_cuts_register(napi_env env, napi_value exports); /* gear_cuts.c: adds gearCuts */
napi_value write_blobs_register(napi_env env, napi_value exports); /* write_blobs.c: adds writeBlobs */
napi_value reseal_blobs_register(napi_env env, napi_value exports); /* reseal_blobs.c: adds resealBlobs */
napi_value sha256_pool_register(napi_env env, napi_value exports); /* sha256_pool.c: adds sha256Init, sha256Update, sha256Final */
napi_value heap_trim_register(napi_env env, napi_value exports); /* heap_trim.c: adds trimHeap */
napi_value build_info_register(napi_env env, napi_value exports); /* build_info.c: adds buildInfo */

/* Throws an Error shaped like Node's fs errors: code, errno, syscall. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char msg[256];
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s: %s, %s", name, strerror(err), syscall);
  napi_value code, message, error, num, sys;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys), sys));
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Copies a Buffer argument into a NUL-terminated C string; rejects embedded NULs. */
static char *path_arg(napi_env env, napi_value v) {
  bool is_buf = false;
  napi_is_buffer(env, v, &is_buf);
  if (!is_buf) return NULL;
  void *data;
  size_t len;
  napi_get_buffer_info(env, v, &data, &len);
  if (len == 0 || len >= MAX_PATH_BYTES || memchr(data, 0, len) != NULL) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  memcpy(s, data, len);
  s[len] = 0;
  return s;
}

/* Reads a UTF-8 string argument (xattr names) into a fixed buffer. */
static bool name_arg(napi_env env, napi_value v, char *out, size_t cap) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok) return false;
  return len > 0 && len < cap - 1;
}

static bool int64_arg(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok && lossless;
  }
  double d;
  if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (d != d || d < -9.2e18 || d > 9.2e18 || (double)(int64_t)d != d) return false;
  *out = (int64_t)d;
  return true;
}

static size_t get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max) {
  size_t argc = max;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = argc; i < max; i++) napi_get_undefined(env, &argv[i]);
  return argc;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* utimensat(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec, noFollow) */
static napi_value js_utimensat(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  get_args(env, info, argv, 6);
  int64_t v[4];
  for (int i = 0; i < 4; i++)
    if (!int64_arg(env, argv[i + 1], &v[i])) return throw_type(env, "utimensat: times must be integers");
  if (v[1] < 0 || v[1] > 999999999 || v[3] < 0 || v[3] > 999999999) return throw_type(env, "utimensat: nsec out of range");
  bool no_follow = false;
  napi_get_value_bool(env, argv[5], &no_follow);
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "utimensat: path must be a non-empty Buffer without NUL bytes");
  struct timespec ts[2] = {{.tv_sec = v[0], .tv_nsec = v[1]}, {.tv_sec = v[2], .tv_nsec = v[3]}};
  int rc = utimensat(AT_FDCWD, path, ts, no_follow ? AT_SYMLINK_NOFOLLOW : 0);
  int err = errno;
  free(path);
  return rc == 0 ? undefined(env) : throw_errno(env, err, "utimensat");
}

/* mknod(path, mode, dev): mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  int64_t mode, dev;
  if (!int64_arg(env, argv[1], &mode) || !int64_arg(env, argv[2], &dev)) return throw_type(env, "mknod: mode and dev must be integers");
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "mknod: path must be a non-empty Buffer without NUL bytes");
  int rc = mknod(path, (mode_t)mode, (dev_t)dev);
  int err = errno;
  free(path);
  return rc == 0 ? undefined(env) : throw_errno(env, err, "mknod");
}

/* mkfifo(path, mode) */
static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  int64_t mode;
  if (!int64_arg(env, argv[1], &mode)) return throw_type(env, "mkfifo: mode must be an integer");
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "mkfifo: path must be a non-empty Buffer without NUL bytes");
  int rc = mkfifo(path, (mode_t)mode);
  int err = errno;
  free(path);
  return rc == 0 ? undefined(env) : throw_errno(env, err, "mkfifo");
}

/* llistxattr(path) -> Buffer of NUL-terminated names (split in JS). */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "llistxattr: path must be a non-empty Buffer without NUL bytes");
  char *buf = NULL;
  ssize_t n;
  for (;;) {
    n = llistxattr(path, NULL, 0);
    if (n <= 0) break;
    buf = realloc(buf, (size_t)n);
    ssize_t m = llistxattr(path, buf, (size_t)n);
    if (m >= 0 || errno != ERANGE) { n = m; break; }
  }
  int err = errno;
  free(path);
  if (n < 0) {
    free(buf);
    if (err == ENOTSUP) n = 0; else return throw_errno(env, err, "llistxattr");
  }
  napi_value result;
  napi_create_buffer_copy(env, (size_t)n, n > 0 ? buf : "", NULL, &result);
  free(buf);
  return result;
}

/* lgetxattr(path, name) -> Buffer, or null when the attribute does not exist. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  char name[XATTR_NAME_MAX + 2];
  if (!name_arg(env, argv[1], name, sizeof name)) return throw_type(env, "lgetxattr: bad attribute name");
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "lgetxattr: path must be a non-empty Buffer without NUL bytes");
  char *buf = NULL;
  ssize_t n;
  for (;;) {
    n = lgetxattr(path, name, NULL, 0);
    if (n <= 0) break;
    buf = realloc(buf, (size_t)n);
    ssize_t m = lgetxattr(path, name, buf, (size_t)n);
    if (m >= 0 || errno != ERANGE) { n = m; break; }
  }
  int err = errno;
  free(path);
  napi_value result;
  if (n < 0) {
    free(buf);
    if (err == ENODATA) { napi_get_null(env, &result); return result; }
    return throw_errno(env, err, "lgetxattr");
  }
  napi_create_buffer_copy(env, (size_t)n, n > 0 ? buf : "", NULL, &result);
  free(buf);
  return result;
}

/* lsetxattr(path, name, value: Buffer) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  char name[XATTR_NAME_MAX + 2];
  if (!name_arg(env, argv[1], name, sizeof name)) return throw_type(env, "lsetxattr: bad attribute name");
  bool is_buf = false;
  napi_is_buffer(env, argv[2], &is_buf);
  if (!is_buf) return throw_type(env, "lsetxattr: value must be a Buffer");
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[2], &data, &len);
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "lsetxattr: path must be a non-empty Buffer without NUL bytes");
  int rc = lsetxattr(path, name, len > 0 ? data : "", len, 0);
  int err = errno;
  free(path);
  return rc == 0 ? undefined(env) : throw_errno(env, err, "lsetxattr");
}

/* lremovexattr(path, name) */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  char name[XATTR_NAME_MAX + 2];
  if (!name_arg(env, argv[1], name, sizeof name)) return throw_type(env, "lremovexattr: bad attribute name");
  char *path = path_arg(env, argv[0]);
  if (path == NULL) return throw_type(env, "lremovexattr: path must be a non-empty Buffer without NUL bytes");
  int rc = lremovexattr(path, name);
  int err = errno;
  free(path);
  return rc == 0 ? undefined(env) : throw_errno(env, err, "lremovexattr");
}

/* seek(fd, offset, whence) with whence "data" or "hole" -> offset, or -1 when past the last data (ENXIO). */
static napi_value js_seek(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  int64_t fd, offset;
  if (!int64_arg(env, argv[0], &fd) || !int64_arg(env, argv[1], &offset)) return throw_type(env, "seek: fd and offset must be integers");
  char which[8];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[2], which, sizeof which, &len) != napi_ok) return throw_type(env, "seek: whence must be a string");
  int whence;
  if (strcmp(which, "data") == 0) whence = SEEK_DATA;
  else if (strcmp(which, "hole") == 0) whence = SEEK_HOLE;
  else return throw_type(env, "seek: whence must be \"data\" or \"hole\"");
  off_t r = lseek((int)fd, (off_t)offset, whence);
  if (r < 0 && errno != ENXIO) return throw_errno(env, errno, "lseek");
  napi_value result;
  napi_create_int64(env, r < 0 ? -1 : (int64_t)r, &result);
  return result;
}


/*
 * gearScan(buf, start, end, state: Int32Array [h, len], params: Int32Array [min, avg, max, maskS, maskL],
 * gear: Int32Array(256)) -> cut index or -1. The FastCDC boundary search of src/cas/chunker.ts `scan`,
 * bit for bit (FORMAT §8): continues the chunk in `state` over buf[start, end).
 */
static napi_value js_gear_scan(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  get_args(env, info, argv, 6);
  int64_t start, end;
  if (!int64_arg(env, argv[1], &start) || !int64_arg(env, argv[2], &end)) return throw_type(env, "gearScan: start and end must be integers");
  const uint8_t *buf;
  size_t buf_len;
  int32_t *state, *params, *gear;
  size_t state_len, params_len, gear_len;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[0], &t, &buf_len, (void **)&buf, &ab, &off) != napi_ok || t != napi_uint8_array) return throw_type(env, "gearScan: buf must be a Uint8Array");
  if (napi_get_typedarray_info(env, argv[3], &t, &state_len, (void **)&state, &ab, &off) != napi_ok || t != napi_int32_array || state_len != 2) return throw_type(env, "gearScan: state must be an Int32Array(2)");
  if (napi_get_typedarray_info(env, argv[4], &t, &params_len, (void **)&params, &ab, &off) != napi_ok || t != napi_int32_array || params_len != 5) return throw_type(env, "gearScan: params must be an Int32Array(5)");
  if (napi_get_typedarray_info(env, argv[5], &t, &gear_len, (void **)&gear, &ab, &off) != napi_ok || t != napi_int32_array || gear_len != 256) return throw_type(env, "gearScan: gear must be an Int32Array(256)");
  if (start < 0 || end < start || (size_t)end > buf_len) return throw_type(env, "gearScan: bad range");
  napi_value result;
  napi_create_int64(env, gear_scan(buf, start, end, state, params, gear), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  scan_dir_register(env, exports);
  read_files_register(env, exports);
  list_dir_register(env, exports);
  fuse_dev_register(env, exports);
  open_blobs_register(env, exports);
  seal_blobs_register(env, exports);
  gear_cuts_register(env, exports);
  write_blobs_register(env, exports);
  reseal_blobs_register(env, exports);
  sha256_pool_register(env, exports);
  heap_trim_register(env, exports);
  build_info_register(env, exports);
  napi_property_descriptor props[] = {
    {"utimensat", NULL, js_utimensat, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mkfifo", NULL, js_mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lremovexattr", NULL, js_lremovexattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seek", NULL, js_seek, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gearScan", NULL, js_gear_scan, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
